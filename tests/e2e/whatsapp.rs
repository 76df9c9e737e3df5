//! The WhatsApp Cloud API adapter against a local server that checks the documented request shape
//! and answers as the Graph API does.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::thread::JoinHandle;

use avisa_aws::{Secret, WhatsAppCloud};
use avisa_domain::PortError;
use avisa_domain::contact::{Locale, PhoneE164};
use avisa_domain::notice::{Interactive, InteractiveRow};
use avisa_domain::ports::{OutgoingWhatsApp, WhatsAppMessage, WhatsAppSender};

/// A request as the server saw it: request line, authorization header, JSON body.
struct Seen {
    line: String,
    authorization: String,
    body: serde_json::Value,
}

/// Serves one answer per connection, in order, on 127.0.0.1; returns its base URL.
fn graph_api(answers: Vec<(u16, &'static str)>) -> (String, JoinHandle<Vec<Seen>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/v21.0", listener.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for (status, answer) in answers {
            let (mut stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let (mut length, mut authorization) = (0, String::new());
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).unwrap();
                let header = header.trim_end();
                if header.is_empty() {
                    break;
                }
                let (name, value) = header.split_once(": ").unwrap();
                match name.to_ascii_lowercase().as_str() {
                    "content-length" => length = value.parse().unwrap(),
                    "authorization" => value.clone_into(&mut authorization),
                    _ => {}
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            seen.push(Seen {
                line: line.trim_end().to_owned(),
                authorization,
                body: serde_json::from_slice(&body).unwrap(),
            });
            let reply = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                answer.len()
            );
            stream.write_all(reply.as_bytes()).unwrap();
        }
        seen
    });
    (base, server)
}

fn message(to: &PhoneE164) -> OutgoingWhatsApp<'_> {
    OutgoingWhatsApp {
        to,
        phone_number_id: "106540352242922",
        message: WhatsAppMessage::Template {
            name: "avisa_notice",
            language: Locale::Es,
            body: "Recibo devuelto: factura F-2026-110001, 48,20 €.",
        },
    }
}

#[tokio::test]
async fn a_chat_reply_with_a_list_is_posted_as_an_interactive_message() {
    let ok = r#"{"messaging_product":"whatsapp","messages":[{"id":"wamid.list"}]}"#;
    let (base, server) = graph_api(vec![(200, ok)]);
    let sender = WhatsAppCloud::new(base, Secret::Given("t".into()));
    let to = PhoneE164::parse("+34600111001").unwrap();
    let list = Interactive::List {
        button: "Veure opcions".into(),
        rows: vec![InteractiveRow {
            id: "incident".into(),
            title: "Comunicar una incidència".into(),
            description: None,
        }],
    };
    let message = OutgoingWhatsApp {
        to: &to,
        phone_number_id: "106540352242922",
        message: WhatsAppMessage::Session { text: "Hola!", interactive: Some(&list) },
    };
    assert_eq!(sender.send(message).await.unwrap(), "wamid.list");
    let seen = server.join().unwrap();
    let body = &seen[0].body;
    assert_eq!(body["type"], "interactive");
    assert_eq!(body["interactive"]["type"], "list");
    assert_eq!(body["interactive"]["body"]["text"], "Hola!");
    assert_eq!(body["interactive"]["action"]["button"], "Veure opcions");
    assert_eq!(body["interactive"]["action"]["sections"][0]["rows"][0]["id"], "incident");
}

#[tokio::test]
async fn a_template_message_is_posted_as_the_cloud_api_documents_it() {
    let ok = r#"{"messaging_product":"whatsapp","contacts":[{"input":"34600111001","wa_id":"34600111001"}],"messages":[{"id":"wamid.HBgLMzQ2MDAxMTEwMDEVAgARGBI"}]}"#;
    let (base, server) = graph_api(vec![(200, ok)]);
    let sender = WhatsAppCloud::new(base, Secret::Given("EAAG-token".into()));
    let to = PhoneE164::parse("+34600111001").unwrap();
    let id = sender.send(message(&to)).await.unwrap();
    assert_eq!(id, "wamid.HBgLMzQ2MDAxMTEwMDEVAgARGBI");
    let seen = server.join().unwrap();
    assert_eq!(seen[0].line, "POST /v21.0/106540352242922/messages HTTP/1.1");
    assert_eq!(seen[0].authorization, "Bearer EAAG-token");
    assert_eq!(
        seen[0].body,
        serde_json::json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "34600111001",
            "type": "template",
            "template": {
                "name": "avisa_notice",
                "language": { "code": "es" },
                "components": [{ "type": "body", "parameters": [{ "type": "text", "text": "Recibo devuelto: factura F-2026-110001, 48,20 €." }] }]
            }
        })
    );
}

#[tokio::test]
async fn a_refusal_is_permanent_with_metas_reason_and_throttling_is_transient() {
    let refused = r#"{"error":{"message":"(#132001) Template name does not exist in the translation","type":"OAuthException","code":132001}}"#;
    let throttled = r#"{"error":{"message":"(#130429) Rate limit hit","code":130429}}"#;
    let (base, server) = graph_api(vec![(400, refused), (429, throttled)]);
    let sender = WhatsAppCloud::new(base, Secret::Given("t".into()));
    let to = PhoneE164::parse("+34600111001").unwrap();
    let err = sender.send(message(&to)).await.unwrap_err();
    assert!(matches!(err, PortError::Permanent { .. }), "{err:?}");
    assert!(avisa_runtime::redact::error_chain(&err).contains("Template name does not exist"), "{err:?}");
    assert!(matches!(sender.send(message(&to)).await.unwrap_err(), PortError::Transient { .. }));
    server.join().unwrap();
}

#[tokio::test]
async fn without_a_token_whatsapp_is_refused_with_the_setting_to_set() {
    let sender = WhatsAppCloud::new("http://127.0.0.1:9/v21.0", Secret::Unset);
    let to = PhoneE164::parse("+34600111001").unwrap();
    let err = sender.send(message(&to)).await.unwrap_err();
    assert!(avisa_runtime::redact::error_chain(&err).contains("WhatsAppSendingSecret"), "{err:?}");
}

#[tokio::test]
async fn each_function_reads_its_own_secret_from_secrets_manager_and_no_other() {
    // GIVEN the local stack, whose secrets hold what the samples were made with
    let stack = crate::support::stack().await;
    let sending = &stack.provisioned.secrets["WhatsAppSendingSecret"];
    let webhook = &stack.provisioned.secrets["WhatsAppWebhookSecret"];
    // WHEN the dispatcher reads its token, through its own role
    let token = Secret::stored(&stack.sdk_for("notice-dispatcher"), Some(sending), "access_token");
    let value = token.value().await.unwrap().expect("the token is set");
    // THEN it is the stored one (and reading it again costs no call)
    assert_eq!(secrecy::ExposeSecret::expose_secret(&value), "EAAG-local");
    assert!(token.value().await.unwrap().is_some());
    // AND no role but the one that needs it may read a secret
    let grants = avisa_local::grants::Grants::from_template(&stack.template).unwrap();
    let read = "secretsmanager:GetSecretValue";
    assert!(grants.allows("notice-dispatcher", read, sending));
    assert!(!grants.allows("notice-dispatcher", read, webhook));
    assert!(grants.allows("chat-webhook", read, webhook));
    for function in ["chat-webhook", "chat-desk", "billing-ingest", "notice-composer", "outage-scheduler"] {
        assert!(!grants.allows(function, read, sending), "{function} may read the WhatsApp token");
    }
    // AND an empty field counts as unset: WhatsApp off, not a blank bearer token
    aws_sdk_secretsmanager::Client::new(&stack.sdk)
        .put_secret_value()
        .secret_id(sending)
        .secret_string(r#"{"access_token": ""}"#)
        .send()
        .await
        .unwrap();
    let fresh = Secret::stored(&stack.sdk_for("notice-dispatcher"), Some(sending), "access_token");
    assert!(fresh.value().await.unwrap().is_none());
}
