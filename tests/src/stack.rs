//! The whole local stack: moto, provisioned from the template, with the functions' mappings.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{AppName, BehaviorVersion, Region, SdkConfig};
use aws_sdk_sqs::config::Credentials;

use crate::LocalError;
use crate::error::sdk_error;
use crate::esm::{EventSourceMapping, Mapping};
use crate::functions::{self, FunctionSpec};
use crate::grants::{self, Grants};
use crate::moto::Moto;
use crate::provision::{Provisioned, Queue, provision};
use crate::proxy::AwsProxy;
use crate::template::{REGION, Template};

/// moto running, with every resource of `infra/template.yaml` created in it, behind the proxy
/// that records and checks what the functions call. Dropping it stops moto — and fails the test
/// if a function called what its role in the template does not allow.
#[derive(Debug)]
pub struct LocalStack {
    moto: Moto,
    /// The harness's own SDK configuration (straight to moto, unchecked).
    pub sdk: SdkConfig,
    pub template: Template,
    pub provisioned: Provisioned,
    pub functions: Vec<FunctionSpec>,
    proxy: AwsProxy,
    grants: Grants,
    function_timeouts: TimeoutConfig,
}

/// How long a function's call may take locally before it times out (moto answers in
/// milliseconds, or a few seconds on a loaded machine; the fault proxy's hung calls take longer).
pub const LOCAL_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);

/// The SDK configuration that points every client at the local stack, as `AWS_ENDPOINT_URL` does
/// for the Lambda binaries.
pub async fn sdk_config(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new(REGION))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "avisa-local"))
        .load()
        .await
}

/// How long a warm container keeps a tenant's settings (`infra/template.yaml` sets it).
pub const SETTINGS_FRESH_SECONDS: &str = "TENANT_SETTINGS_FRESH_SECONDS";

/// The tenant the samples and the demo are about.
pub const DEMO_TENANT: &str = "aigues-reus";

/// The upstream sending on the template's billing-events queue acts for the demo tenant only.
async fn bind_demo_upstream(template: &Template, sdk: &SdkConfig, provisioned: &Provisioned) -> Result<(), LocalError> {
    let queue = template.resolver("").attribute("BillingEventsQueue", "Arn")?;
    let store = avisa_aws::DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), &provisioned.tables["Table"]);
    let tenant = avisa_domain::ids::TenantId::parse(DEMO_TENANT).map_err(|e| LocalError::Template(e.to_string()))?;
    store.bind_upstream(&queue, &tenant).await.map_err(|e| LocalError::provision("Table", "upstream binding", e))
}

/// The secrets the samples under `events/` were made with (`events/chat-webhook/*.json` are
/// signed with this app secret), put where the operator of a deployment puts the real ones.
pub const LOCAL_SECRETS: &[(&str, &str)] = &[
    ("WhatsAppWebhookSecret", r#"{"verify_token": "local-verify-token", "app_secret": "local-app-secret"}"#),
    ("WhatsAppSendingSecret", r#"{"access_token": "EAAG-local"}"#),
];

async fn put_local_secrets(sdk: &SdkConfig, provisioned: &Provisioned) -> Result<(), LocalError> {
    let client = aws_sdk_secretsmanager::Client::new(sdk);
    for (logical_id, value) in LOCAL_SECRETS {
        let Some(arn) = provisioned.secrets.get(*logical_id) else {
            return Err(LocalError::Template(format!("infra/template.yaml declares no secret {logical_id}")));
        };
        client
            .put_secret_value()
            .secret_id(arn)
            .secret_string(*value)
            .send()
            .await
            .map_err(|e| LocalError::provision(logical_id, "AWS::SecretsManager::Secret", sdk_error(e)))?;
    }
    Ok(())
}

impl LocalStack {
    /// moto on a free port, provisioned.
    pub async fn start() -> Result<Self, LocalError> {
        Self::provisioned(Moto::start()?).await
    }

    /// moto on `port`, provisioned (for `cargo lambda watch`, which needs a known endpoint).
    pub async fn start_on(port: u16) -> Result<Self, LocalError> {
        Self::provisioned(Moto::start_on(port)?).await
    }

    async fn provisioned(moto: Moto) -> Result<Self, LocalError> {
        let sdk = sdk_config(moto.endpoint()).await;
        let template = Template::load(&Template::default_path())?;
        let provisioned = provision(&template, &sdk, moto.endpoint()).await?;
        bind_demo_upstream(&template, &sdk, &provisioned).await?;
        put_local_secrets(&sdk, &provisioned).await?;
        let mut functions =
            functions::specs(&template, template.resolver(moto.endpoint()).with_assigned(&provisioned.assigned))?;
        // The tests change a tenant's settings between steps, as an admin does, and expect the next
        // record to see them: no minute's grace here (the request report keeps the template's).
        for spec in &mut functions {
            spec.env.insert(SETTINGS_FRESH_SECONDS.to_owned(), "0".to_owned());
        }
        let proxy = AwsProxy::start(moto.endpoint())?;
        let grants = Grants::from_template(&template)?;
        let function_timeouts = TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(2))
            .operation_attempt_timeout(LOCAL_ATTEMPT_TIMEOUT)
            .build();
        Ok(Self { moto, sdk, template, provisioned, functions, proxy, grants, function_timeouts })
    }

    /// Lets each of the functions' calls take up to `timeout` (moto's index queries scan the whole
    /// table: with thousands of supply points they take seconds). For the functions made after.
    pub fn allow_calls_of(&mut self, timeout: Duration) {
        self.function_timeouts =
            TimeoutConfig::builder().connect_timeout(Duration::from_secs(2)).operation_attempt_timeout(timeout).build();
    }

    /// Sets an environment variable of every function, as a deployment's parameter would (for
    /// the functions run after).
    pub fn set_env(&mut self, name: &str, value: &str) {
        for spec in &mut self.functions {
            spec.env.insert(name.to_owned(), value.to_owned());
        }
    }

    /// The SDK configuration of one function: through the proxy, named by its binary as its own
    /// role would name it, with the production HTTP client (each call naming its invocation) and
    /// retry policy, but short backoffs.
    pub fn sdk_for(&self, binary: &str) -> SdkConfig {
        let mut builder = self.sdk.to_builder();
        builder
            .set_endpoint_url(Some(self.proxy.endpoint().to_owned()))
            .set_http_client(Some(crate::invocation::client(avisa_runtime::sdk_http_client())))
            .set_app_name(AppName::new(binary.to_owned()).ok())
            .set_retry_config(Some(RetryConfig::standard().with_initial_backoff(Duration::from_millis(20))))
            .set_timeout_config(Some(self.function_timeouts.clone()));
        builder.build()
    }

    /// The proxy between the functions and moto: what they called, and faults to inject.
    pub fn proxy(&self) -> &AwsProxy {
        &self.proxy
    }

    /// The functions' calls that their roles in the template do not allow.
    pub fn violations(&self) -> Vec<String> {
        self.grants.violations(&self.proxy.calls()).iter().map(ToString::to_string).collect()
    }

    pub fn moto(&self) -> &Moto {
        &self.moto
    }

    pub fn endpoint(&self) -> &str {
        self.moto.endpoint()
    }

    /// A queue by its logical id in the template.
    pub fn queue(&self, logical_id: &str) -> &Queue {
        self.provisioned.queues.get(logical_id).unwrap_or_else(|| panic!("the template declares no queue {logical_id}"))
    }

    /// A function by its binary name.
    pub fn function(&self, binary: &str) -> Option<&FunctionSpec> {
        self.functions.iter().find(|f| f.binary == binary)
    }

    /// Sends one message, as an upstream system would.
    pub async fn send(&self, queue_logical_id: &str, body: &str) -> Result<(), LocalError> {
        let url = &self.queue(queue_logical_id).url;
        aws_sdk_sqs::Client::new(&self.sdk)
            .send_message()
            .queue_url(url)
            .message_body(body)
            .send()
            .await
            .map_err(|e| LocalError::sqs("SendMessage", url, sdk_error(e)))?;
        Ok(())
    }

    /// Puts a document where upstream would (`s3://bucket/key`), creating the bucket if needed.
    pub async fn put_document(&self, uri: &str, bytes: &[u8]) -> Result<(), LocalError> {
        let (bucket, key) = uri
            .strip_prefix("s3://")
            .and_then(|rest| rest.split_once('/'))
            .ok_or_else(|| LocalError::Template(format!("{uri} is not an s3://bucket/key URI")))?;
        let s3 = aws_sdk_s3::Client::new(&self.sdk);
        let fail = |e| LocalError::Provision {
            logical_id: bucket.to_owned(),
            resource_type: "S3 (upstream's documents)".into(),
            source: e,
        };
        if s3.head_bucket().bucket(bucket).send().await.is_err() {
            let location = aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(REGION))
                .build();
            s3.create_bucket()
                .bucket(bucket)
                .create_bucket_configuration(location)
                .send()
                .await
                .map_err(|e| fail(sdk_error(e)))?;
        }
        s3.put_object()
            .bucket(bucket)
            .key(key)
            .content_type("application/pdf")
            .body(aws_sdk_s3::primitives::ByteStream::from(bytes.to_vec()))
            .send()
            .await
            .map_err(|e| fail(sdk_error(e)))?;
        Ok(())
    }

    /// Puts a small PDF for every invoice document the given billing events name, as the
    /// upstream system does before it sends them.
    pub async fn put_invoice_pdfs<'a>(&self, events: impl IntoIterator<Item = &'a str>) -> Result<usize, LocalError> {
        let mut put = 0;
        for body in events {
            let event: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
            if let Some(uri) = event["data"]["pdf"]["uri"].as_str() {
                let pdf = format!("%PDF-1.4\n% invoice {}\n%%EOF\n", event["data"]["number"].as_str().unwrap_or("?"));
                self.put_document(uri, pdf.as_bytes()).await?;
                put += 1;
            }
        }
        Ok(put)
    }

    /// How many messages a queue holds (visible or in flight).
    pub async fn depth(&self, queue_logical_id: &str) -> Result<usize, LocalError> {
        use aws_sdk_sqs::types::QueueAttributeName::{
            ApproximateNumberOfMessages, ApproximateNumberOfMessagesNotVisible,
        };
        let url = &self.queue(queue_logical_id).url;
        let attributes = aws_sdk_sqs::Client::new(&self.sdk)
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(ApproximateNumberOfMessages)
            .attribute_names(ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .map_err(|e| LocalError::sqs("GetQueueAttributes", url, sdk_error(e)))?
            .attributes
            .unwrap_or_default();
        Ok(attributes.values().filter_map(|v| v.parse::<usize>().ok()).sum())
    }

    /// The event source mappings of every function built so far, each calling the same handler
    /// its Lambda binary runs. Functions not built yet are left out (their queues keep their
    /// messages).
    pub fn event_source_mapping(&self) -> Result<EventSourceMapping, LocalError> {
        let mut mappings = Vec::new();
        for spec in &self.functions {
            let Some(handler) = functions::handler(spec, &self.sdk_for(&spec.binary))? else { continue };
            for (queue_arn, batch_size) in &spec.sqs_sources {
                let queue = self.provisioned.queues.values().find(|q| &q.arn == queue_arn).ok_or_else(|| {
                    LocalError::Template(format!(
                        "{} is fed by {queue_arn}, which is not a queue of the template",
                        spec.logical_id
                    ))
                })?;
                mappings.push(Mapping {
                    function: spec.binary.clone(),
                    queue_url: queue.url.clone(),
                    queue_arn: queue_arn.clone(),
                    batch_size: *batch_size,
                    handler: handler.clone(),
                });
            }
        }
        Ok(EventSourceMapping::new(aws_sdk_sqs::Client::new(&self.sdk), mappings))
    }
}

impl Drop for LocalStack {
    fn drop(&mut self) {
        grants::keep(&self.proxy.calls());
        if std::thread::panicking() {
            return;
        }
        let violations = self.violations();
        assert!(
            violations.is_empty(),
            "a function called what its role in infra/template.yaml does not allow (AccessDenied on AWS); \
             grant it there, or stop calling it:\n  {}",
            violations.join("\n  ")
        );
    }
}
