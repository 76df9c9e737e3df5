//! `POST /customers/{customer_id}/erase` and `POST /citizens/{phone}/erase`: a tenant's
//! administrator erases a person; the answer says what was removed.

use avisa_domain::Error;
use avisa_domain::error::RejectionCode;
use avisa_domain::ids::CustomerId;
use avisa_domain::operators::Operator;
use avisa_domain::privacy::Forget;
use avisa_runtime::http::{error_response, json, problem};
use aws_lambda_events::event::lambda_function_urls::LambdaFunctionUrlResponse;

/// The answer to an erasure request, or `None` when the request is not one.
pub(crate) async fn route(
    erasure: &Forget<'_>,
    operator: &Operator,
    method: &str,
    path: &str,
) -> Option<LambdaFunctionUrlResponse> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (kind, who) = match (method, segments.as_slice()) {
        ("POST", ["customers", customer, "erase"]) => ("customer", *customer),
        ("POST", ["citizens", number, "erase"]) => ("citizen", *number),
        _ => return None,
    };
    if !operator.admin {
        return Some(problem(
            403,
            "only a tenant administrator's token may erase a person (`avisa operator-token --admin`)",
        ));
    }
    let tenant = &operator.tenant_id;
    let erased = match kind {
        "customer" => match CustomerId::parse(who) {
            Ok(customer) => erasure.customer(tenant, &customer).await.map_err(Error::from),
            Err(e) => Err(Error::rejected(RejectionCode::InvalidField, format!("customer_id: {e}"))),
        },
        _ => match crate::routes::phone(who) {
            Ok(phone) => erasure.phone(tenant, &phone).await.map_err(Error::from),
            Err(refused) => Err(refused),
        },
    };
    Some(match erased {
        Ok(erased) => {
            // Who erased and how much; never whom (an id of someone no longer there, or a number).
            tracing::warn!(tenant_id = %tenant, operator = %operator.name, kind, records = erased.total(), "person erased");
            json(200, &serde_json::json!({ "erased": erased.items, "total": erased.total() }))
        }
        Err(error) => error_response(&error),
    })
}
