//! A notice as its item: each message's content stored deflated. A notice is written on every
//! send and its write units follow its size (a unit per KB, in the table and in its indexes); a
//! message's text and HTML say the same words, so an invoice notice with its debts, plans and
//! tariff lines (2.3 KB of content) stores in about a third of that. The content is the same
//! JSON as before it was deflated, so what the content hash proves is unchanged.

use avisa_domain::PortError;
use avisa_domain::notice::Notice;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;

use super::{Item, from_item, s, to_item};
use crate::error::AdapterError;

/// A message's content, deflated (`content` when stored as it is, as items before it were).
const DEFLATED: &str = "content_z";
const CONTENT: &str = "content";
/// What a stored content may inflate to: a message is a few KB, SES takes at most 40 MB.
const MAX_CONTENT_BYTES: usize = 4 << 20;
/// deflate's best: a notice is written once and read a few times.
const LEVEL: u8 = 9;

/// The item of `notice`, with its `keys`, the channels of its messages (what the delivery report
/// reads) and each message's content deflated.
pub(crate) fn notice_item(
    operation: &'static str,
    notice: &Notice,
    keys: &[(&str, String)],
) -> Result<Item, PortError> {
    let mut item = to_item(operation, notice, keys)?;
    let channels = notice.messages.iter().map(|m| s(m.destination.channel().as_str())).collect();
    item.insert("channels".to_owned(), AttributeValue::L(channels));
    if let Some(AttributeValue::L(messages)) = item.get_mut("messages") {
        for (stored, message) in messages.iter_mut().zip(&notice.messages) {
            let (AttributeValue::M(fields), Some(content)) = (stored, &message.content) else { continue };
            let json = serde_json::to_vec(content).map_err(|e| AdapterError::Build(e.into()).into_port(operation))?;
            fields.remove(CONTENT);
            fields.insert(
                DEFLATED.to_owned(),
                AttributeValue::B(Blob::new(miniz_oxide::deflate::compress_to_vec(&json, LEVEL))),
            );
        }
    }
    Ok(item)
}

/// The notice of a stored item, its messages' content inflated.
pub(crate) fn notice_of(operation: &'static str, mut item: Item) -> Result<Notice, PortError> {
    let corrupt = |what: String| AdapterError::Corrupt(what).into_port(operation);
    if let Some(AttributeValue::L(messages)) = item.get_mut("messages") {
        for message in messages {
            let AttributeValue::M(fields) = message else { continue };
            let Some(AttributeValue::B(deflated)) = fields.remove(DEFLATED) else { continue };
            let json = miniz_oxide::inflate::decompress_to_vec_with_limit(deflated.as_ref(), MAX_CONTENT_BYTES)
                .map_err(|e| corrupt(format!("a notice's message content does not inflate: {e}")))?;
            let content: serde_json::Value = serde_json::from_slice(&json)
                .map_err(|e| corrupt(format!("a notice's message content is not JSON: {e}")))?;
            let content = serde_dynamo::to_attribute_value(content)
                .map_err(|e| corrupt(format!("a notice's message content cannot be read: {e}")))?;
            fields.insert(CONTENT.to_owned(), content);
        }
    }
    from_item(operation, item)
}

#[cfg(test)]
mod tests {
    use super::*;
    use avisa_domain::fakes::Fakes;

    async fn notice() -> Notice {
        let mut notice = Fakes::with_notice().await.notices.only();
        let content = notice.messages.iter_mut().find_map(|m| m.content.as_mut()).unwrap();
        content.html = Some(format!("<p>{}</p>", "Ja teniu disponible la factura. ".repeat(40)));
        content.text = "Ja teniu disponible la factura. ".repeat(40);
        notice
    }

    #[tokio::test]
    async fn a_notice_reads_back_as_it_was_written_in_fewer_bytes() {
        // GIVEN a notice whose message says its 1.3 KB twice, as text and as HTML
        let notice = notice().await;
        // WHEN it is stored
        let item = notice_item("test", &notice, &[("pk", "p".to_owned())]).unwrap();
        // THEN its content is deflated, and the notice reads back whole
        let messages = item["messages"].as_l().unwrap();
        assert!(messages.iter().all(|m| !m.as_m().unwrap().contains_key(CONTENT)));
        let deflated: usize = messages.iter().map(|m| m.as_m().unwrap()[DEFLATED].as_b().unwrap().as_ref().len()).sum();
        assert!(deflated < 400, "{deflated} bytes");
        assert_eq!(notice_of("test", item).unwrap(), notice);
    }

    #[tokio::test]
    async fn a_notice_stored_before_its_content_was_deflated_still_reads() {
        let notice = notice().await;
        let item = to_item("test", &notice, &[]).unwrap();
        assert_eq!(notice_of("test", item).unwrap(), notice);
    }

    #[tokio::test]
    async fn a_content_that_does_not_inflate_is_named_as_a_corrupt_item_not_a_panic() {
        let mut item = notice_item("test", &notice().await, &[]).unwrap();
        let Some(AttributeValue::L(messages)) = item.get_mut("messages") else { panic!() };
        let AttributeValue::M(fields) = &mut messages[0] else { panic!() };
        fields.insert(DEFLATED.to_owned(), AttributeValue::B(Blob::new(b"not deflate".to_vec())));
        let error = notice_of("test", item).unwrap_err();
        assert!(matches!(error, PortError::Permanent { .. }));
        assert!(format!("{error:?}").contains("does not inflate"), "{error:?}");
    }
}
