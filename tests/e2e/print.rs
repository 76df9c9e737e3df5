//! Paper against moto: letters queue up as notices are composed; the night's run writes one
//! manifest per tenant and day to the print bucket.

use avisa_domain::print::PrintLetter;
use avisa_runtime::scheduled::ScheduledHandler;
use jiff::Timestamp;

use crate::support::{sample_body, stack};

#[tokio::test]
async fn the_nights_run_writes_each_tenants_letters_of_the_day_to_the_print_bucket() {
    // GIVEN a citizen with no e-invoice: the invoice goes on paper
    let stack = stack().await;
    let esm = stack.event_source_mapping().unwrap();
    let mut customer: serde_json::Value =
        serde_json::from_str(&sample_body("events/billing-ingest/customer-upserted.json")).unwrap();
    customer["data"]["e_invoice"] = false.into();
    for body in [customer.to_string(), sample_body("events/billing-ingest/invoice-issued.json")] {
        stack.send("BillingEventsQueue", &body).await.unwrap();
        esm.drain().await.unwrap();
    }
    // WHEN the print run goes for today (UTC)
    let spec = stack.function("print-batch").unwrap();
    let app = print_batch::App::new(&print_batch::Config::load(&spec.env).unwrap(), &stack.sdk_for("print-batch"));
    let today = Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date().to_string();
    let report = app.run(&serde_json::json!({ "day": today })).await.unwrap();
    // THEN one manifest for the tenant holds the letter, with the invoice PDF to print
    assert_eq!(report["batches"][0]["letters"], 1, "{report}");
    let location = report["batches"][0]["location"].as_str().unwrap();
    assert_eq!(location, format!("s3://avisa-printbucket/aigues-reus/{today}.jsonl"));
    let object = aws_sdk_s3::Client::new(&stack.sdk)
        .get_object()
        .bucket("avisa-printbucket")
        .key(format!("aigues-reus/{today}.jsonl"))
        .send()
        .await
        .unwrap();
    let manifest = String::from_utf8(object.body.collect().await.unwrap().into_bytes().to_vec()).unwrap();
    let letters: Vec<PrintLetter> = manifest.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].recipient, "Maria Puig i Ferrer");
    assert_eq!(letters[0].postal_address, "Carrer de Sant Joan 1, 43201 Reus");
    assert_eq!(
        letters[0].document.as_ref().unwrap().uri.as_str(),
        "s3://avisa-invoice-documents/aigues-reus/2026/11/F-2026-110001.pdf"
    );
    assert!(letters[0].body.as_deref().unwrap().contains("F-2026-110001"));
    // a rerun rewrites the same batch
    assert_eq!(app.run(&serde_json::json!({ "day": today })).await.unwrap(), report);
    // the sample rerun (a past day with no letters here) writes nothing and says so
    let sample: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(avisa_local::moto::workspace_root().join("events/print-batch/rerun-day.json"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(app.run(&sample).await.unwrap(), serde_json::json!({ "day": "2026-11-20", "batches": [] }));
    let bad = app.run(&serde_json::json!({ "day": "20-11-2026" })).await.unwrap_err();
    assert!(bad.to_string().contains("is not YYYY-MM-DD"), "{bad}");
}
