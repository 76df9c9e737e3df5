use async_trait::async_trait;
use avisa_domain::PortError;
use avisa_domain::account::{ContractHolder, CustomerProfile, Invoice};
use avisa_domain::ids::{ContractId, CustomerId, InvoiceNumber, TenantId};
use avisa_domain::ports::AccountStore;

use super::{DynamoStore, to_item};

fn customer_pk(tenant_id: &TenantId, customer_id: &CustomerId) -> String {
    format!("T#{tenant_id}#CUST#{customer_id}")
}

fn contract_pk(tenant_id: &TenantId, contract_id: &ContractId) -> String {
    format!("T#{tenant_id}#CONTRACT#{contract_id}")
}

#[async_trait]
impl AccountStore for DynamoStore {
    async fn upsert_customer(&self, profile: &CustomerProfile) -> Result<(), PortError> {
        const OPERATION: &str = "dynamodb.UpdateItem(customer)";
        let mut keys =
            vec![("pk", customer_pk(&profile.tenant_id, &profile.customer_id)), ("sk", "PROFILE".to_owned())];
        if let Some(mobile) = &profile.mobile {
            keys.push(("gsi2pk", format!("T#{}#PHONE#{}", profile.tenant_id, mobile.as_str())));
            keys.push(("gsi2sk", format!("CUST#{}", profile.customer_id)));
        }
        let item = to_item(OPERATION, profile, &keys)?;
        self.update_if_newer(OPERATION, item, profile.as_of.as_millisecond()).await
    }

    async fn upsert_holder(&self, holder: &ContractHolder) -> Result<(), PortError> {
        const OPERATION: &str = "dynamodb.UpdateItem(account)";
        let keys = [
            ("pk", contract_pk(&holder.tenant_id, &holder.contract_id)),
            ("sk", "ACCOUNT".to_owned()),
            ("gsi1pk", format!("T#{}#SECTOR#{}", holder.tenant_id, holder.supply_point.network_sector)),
            ("gsi1sk", format!("CONTRACT#{}", holder.contract_id)),
        ];
        let item = to_item(OPERATION, holder, &keys)?;
        self.update_if_newer(OPERATION, item, holder.as_of.as_millisecond()).await
    }

    async fn put_invoice(&self, invoice: &Invoice) -> Result<(), PortError> {
        const OPERATION: &str = "dynamodb.PutItem(invoice)";
        let keys = [
            ("pk", contract_pk(&invoice.tenant_id, &invoice.contract_id)),
            ("sk", format!("INVOICE#{}", invoice.number)),
        ];
        let item = to_item(OPERATION, invoice, &keys)?;
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| crate::error::classify(OPERATION, e))?;
        Ok(())
    }

    async fn customer(
        &self,
        tenant_id: &TenantId,
        customer_id: &CustomerId,
    ) -> Result<Option<CustomerProfile>, PortError> {
        self.get("dynamodb.GetItem(customer)", &customer_pk(tenant_id, customer_id), "PROFILE").await
    }

    async fn holder(
        &self,
        tenant_id: &TenantId,
        contract_id: &ContractId,
    ) -> Result<Option<ContractHolder>, PortError> {
        self.get("dynamodb.GetItem(account)", &contract_pk(tenant_id, contract_id), "ACCOUNT").await
    }

    async fn invoice(
        &self,
        tenant_id: &TenantId,
        contract_id: &ContractId,
        number: &InvoiceNumber,
    ) -> Result<Option<Invoice>, PortError> {
        self.get("dynamodb.GetItem(invoice)", &contract_pk(tenant_id, contract_id), &format!("INVOICE#{number}")).await
    }
}
