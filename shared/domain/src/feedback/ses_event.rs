//! SES events as the configuration set's event destination publishes them (raw through SNS, or
//! wrapped in an SNS notification), parsed into the domain's feedback.

use super::{EmailFeedback, FeedbackKind};
use crate::Rejection;
use crate::contact::Email;
use crate::error::RejectionCode;
use crate::ids::{NoticeId, TenantId};
use jiff::Timestamp;
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SesEvent {
    /// `eventType` for configuration-set events; `notificationType` for identity notifications.
    #[serde(alias = "notificationType")]
    event_type: String,
    mail: Mail,
    bounce: Option<Bounce>,
    complaint: Option<Complaint>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Mail {
    message_id: String,
    timestamp: Timestamp,
    #[serde(default)]
    tags: HashMap<String, Vec<String>>,
}

/// Field names follow SES's JSON (`bounceType`, `bounceSubType`).
#[allow(clippy::struct_field_names)]
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bounce {
    bounce_type: String,
    #[serde(default)]
    bounce_sub_type: String,
    #[serde(default)]
    bounced_recipients: Vec<Recipient>,
    timestamp: Option<Timestamp>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Complaint {
    #[serde(default)]
    complained_recipients: Vec<Recipient>,
    timestamp: Option<Timestamp>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Recipient {
    email_address: String,
    diagnostic_code: Option<String>,
}

/// An SNS notification around the event, when the subscription is not raw.
#[derive(Deserialize)]
struct SnsEnvelope {
    #[serde(rename = "Message")]
    message: String,
}

fn invalid(detail: String) -> Rejection {
    Rejection::new(RejectionCode::InvalidField, detail)
}

fn tag<'a>(tags: &'a HashMap<String, Vec<String>>, name: &str) -> Option<&'a str> {
    tags.get(name).and_then(|values| values.first()).map(String::as_str)
}

fn emails(recipients: &[Recipient]) -> Vec<Email> {
    // An address SES reports that we cannot parse is not one we sent to; skip it.
    recipients.iter().filter_map(|r| Email::parse(&r.email_address).ok()).collect()
}

/// Parses one queue message body.
pub fn parse(body: &str) -> Result<EmailFeedback, Rejection> {
    let unwrapped = serde_json::from_str::<SnsEnvelope>(body).map(|envelope| envelope.message);
    let json = unwrapped.as_deref().unwrap_or(body);
    let event: SesEvent = serde_json::from_str(json)
        .map_err(|e| Rejection::new(RejectionCode::InvalidJson, format!("body is not an SES event: {e}")))?;
    let (Some(tenant), Some(notice)) = (tag(&event.mail.tags, "tenant_id"), tag(&event.mail.tags, "notice_id")) else {
        return Err(invalid(format!(
            "SES message {} has no tenant_id and notice_id tags: avisa did not send it",
            event.mail.message_id
        )));
    };
    let tenant_id = TenantId::parse(tenant).map_err(|e| invalid(e.to_string()))?;
    let notice_id = NoticeId::parse(notice).map_err(|e| invalid(e.to_string()))?;
    let mut at = event.mail.timestamp;
    let kind = match (event.event_type.as_str(), event.bounce, event.complaint) {
        ("Delivery", _, _) => FeedbackKind::Delivered,
        ("Bounce", Some(bounce), _) => {
            at = bounce.timestamp.unwrap_or(at);
            let reason = bounce
                .bounced_recipients
                .iter()
                .find_map(|r| r.diagnostic_code.clone())
                .unwrap_or_else(|| format!("{} {}", bounce.bounce_type, bounce.bounce_sub_type).trim().to_owned());
            FeedbackKind::Bounced {
                permanent: bounce.bounce_type == "Permanent",
                recipients: emails(&bounce.bounced_recipients),
                reason,
            }
        }
        ("Complaint", _, Some(complaint)) => {
            at = complaint.timestamp.unwrap_or(at);
            FeedbackKind::Complained { recipients: emails(&complaint.complained_recipients) }
        }
        ("Bounce" | "Complaint", _, _) => {
            return Err(invalid(format!(
                "{} event without its {} details",
                event.event_type,
                event.event_type.to_lowercase()
            )));
        }
        (other, _, _) => FeedbackKind::Other(other.to_owned()),
    };
    Ok(EmailFeedback { tenant_id, notice_id, provider_message_id: event.mail.message_id, at, kind })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> String {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../events/delivery-feedback/ses-bounce.json");
        let sqs: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        sqs["Records"][0]["body"].as_str().unwrap().to_owned()
    }

    #[test]
    fn the_bounce_sample_is_a_permanent_bounce_with_its_diagnostic() {
        let feedback = parse(&sample()).unwrap();
        assert_eq!(feedback.tenant_id.as_str(), "aigues-reus");
        let FeedbackKind::Bounced { permanent, recipients, reason } = feedback.kind else { panic!("not a bounce") };
        assert!(permanent);
        assert_eq!(recipients, [Email::parse("nobody@example.cat").unwrap()]);
        assert_eq!(reason, "smtp; 550 5.1.1 user unknown");
    }

    #[test]
    fn an_sns_wrapped_event_is_unwrapped() {
        let wrapped = serde_json::json!({"Type": "Notification", "Message": sample()}).to_string();
        assert!(matches!(parse(&wrapped).unwrap().kind, FeedbackKind::Bounced { .. }));
    }

    #[test]
    fn an_event_for_mail_avisa_did_not_send_is_refused_with_the_reason() {
        let mut event: serde_json::Value = serde_json::from_str(&sample()).unwrap();
        event["mail"]["tags"] = serde_json::json!({});
        let rejection = parse(&event.to_string()).unwrap_err();
        assert!(rejection.detail.contains("avisa did not send it"), "{}", rejection.detail);
    }
}
