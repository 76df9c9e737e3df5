//! A tenant's settings, the upstreams that act for it, and erasing a person.

use std::path::Path;

use avisa_domain::ids::TenantId;
use avisa_domain::ports::TenantDirectory;
use avisa_domain::tenant::TenantSettings;

use crate::args::Upstreams;
use crate::error::CliError;
use crate::output::Output;
use crate::stack::Stack;

pub async fn settings(stack: &Stack, tenant: &TenantId, put: Option<&Path>, out: Output) -> Result<(), CliError> {
    let store = stack.store().await?;
    if let Some(file) = put {
        let name = file.display().to_string();
        let text =
            std::fs::read_to_string(file).map_err(|e| CliError::File { file: name.clone(), why: e.to_string() })?;
        let settings = TenantSettings::from_json(&text).map_err(|why| CliError::File { file: name, why })?;
        store.put_settings(tenant, &settings).await?;
    }
    match store.settings(tenant).await? {
        Some(settings) => crate::output::print_json(&settings),
        None => out.said(
            &format!("{tenant} has no settings of its own: the deployment's defaults apply"),
            &serde_json::Value::Null,
        ),
    }
}

pub async fn upstreams(stack: &Stack, change: Upstreams, out: Output) -> Result<(), CliError> {
    let store = stack.store().await?;
    let (queue, tenant, bound) = match change {
        Upstreams::Bind { queue, tenant } => {
            store.bind_upstream(&queue, &tenant).await?;
            (queue, tenant, true)
        }
        Upstreams::Unbind { queue, tenant } => {
            store.unbind_upstream(&queue, &tenant).await?;
            (queue, tenant, false)
        }
    };
    let sentence = if bound {
        format!("the upstream sending on {queue} may now act for {tenant}")
    } else {
        format!("the upstream sending on {queue} no longer acts for {tenant}")
    };
    out.said(&sentence, &serde_json::json!({"queue": queue, "tenant": tenant, "bound": bound}))
}

pub async fn erase(
    stack: &Stack,
    tenant: &TenantId,
    customer: Option<&str>,
    phone: Option<&str>,
    out: Output,
) -> Result<(), CliError> {
    let store = stack.store().await?;
    let bucket = stack.output("ChatMediaBucket").ok_or_else(|| {
        CliError::refused("the stack's outputs have no ChatMediaBucket: deploy the current infra/template.yaml first")
    })?;
    let media = avisa_aws::S3MediaStore::new(aws_sdk_s3::Client::new(&stack.sdk().await), bucket);
    let forget = avisa_domain::privacy::Forget { records: &store, media: &media };
    let (who, erased) = match (customer, phone) {
        (Some(customer), _) => {
            let customer = avisa_domain::ids::CustomerId::parse(customer)
                .map_err(|e| CliError::refused(format!("--customer: {e}")))?;
            (format!("customer {customer}"), forget.customer(tenant, &customer).await?)
        }
        (None, Some(phone)) => {
            let phone = avisa_domain::contact::PhoneE164::parse(phone)
                .map_err(|e| CliError::refused(format!("--phone: {e}")))?;
            ("that number".to_owned(), forget.phone(tenant, &phone).await?)
        }
        (None, None) => return Err(CliError::refused("one of --customer or --phone is required")),
    };
    if out.json {
        return crate::output::print_json(&serde_json::json!({"erased": erased.items, "total": erased.total()}));
    }
    if erased.total() == 0 {
        crate::output::print(&format!("nothing about {who} of {tenant} was found: nothing erased\n"))?;
    }
    let rows = erased.items.iter().map(|(kind, count)| vec![kind.to_string(), count.to_string()]).collect();
    out.table(&["erased", "items"], rows, &serde_json::Value::Null)?;
    crate::output::print(
        "kept: the suppression of any address they opted out with (a digest, so nothing is sent to it again); \
         their WhatsApp message claims leave by TTL within 35 days\n",
    )
}
