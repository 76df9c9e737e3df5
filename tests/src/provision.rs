//! Creates the template's resources in moto, so the local stack has exactly what the cloud has.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType,
    PointInTimeRecoverySpecification, Projection, ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_sqs::types::QueueAttributeName;
use serde_yaml::Value;

use crate::LocalError;
use crate::error::sdk_error;
use crate::template::{Resolver, Resource, Template};

/// Resource types the local stack knows it need not create, and why.
const NO_LOCAL_EFFECT: &[(&str, &str)] = &[
    ("AWS::Serverless::Function", "run in-process by the local event source mapping"),
    ("AWS::SQS::QueuePolicy", "moto does not enforce resource policies"),
    ("AWS::IAM::Role", "moto does not enforce IAM (tests/src/grants.rs checks the functions' roles)"),
    ("AWS::S3::BucketPolicy", "moto does not enforce resource policies"),
    ("AWS::Logs::LogGroup", "the functions run in-process locally and log to the test's output"),
    ("AWS::KMS::Key", "moto's topics and queues are not encrypted; nothing local uses the key"),
    ("AWS::SES::ConfigurationSetEventDestination", "moto does not emit SES delivery events"),
];

/// A queue as created locally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queue {
    pub name: String,
    pub url: String,
    pub arn: String,
}

/// What was created, by logical id.
#[derive(Debug, Clone, Default)]
pub struct Provisioned {
    pub tables: BTreeMap<String, String>,
    pub queues: BTreeMap<String, Queue>,
    pub topics: BTreeMap<String, String>,
    pub email_identities: Vec<String>,
    pub schedule_groups: Vec<String>,
    pub buckets: BTreeMap<String, String>,
    /// Secrets Manager entries: logical id → the ARN the functions are given.
    pub secrets: BTreeMap<String, String>,
    /// The ids moto chose (Cognito pools and app clients): logical id → id.
    pub assigned: BTreeMap<String, String>,
    /// `(logical id, type, why)` of what has no local counterpart.
    pub not_created: Vec<(String, String, &'static str)>,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn text(value: &Value, field: &str) -> Result<String, BoxError> {
    value.get(field).and_then(Value::as_str).map(str::to_owned).ok_or_else(|| format!("{field} is missing").into())
}

fn list<'a>(value: &'a Value, field: &str) -> impl Iterator<Item = &'a Value> {
    value.get(field).and_then(Value::as_sequence).into_iter().flatten()
}

/// Creates every resource of `template` in the moto at `endpoint`.
pub async fn provision(
    template: &Template,
    sdk: &aws_config::SdkConfig,
    endpoint: &str,
) -> Result<Provisioned, LocalError> {
    let resolver = template.resolver(endpoint);
    let mut done = Provisioned::default();
    let dynamodb = aws_sdk_dynamodb::Client::new(sdk);
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let sns = aws_sdk_sns::Client::new(sdk);
    let ses = aws_sdk_sesv2::Client::new(sdk);

    for resource in template.resources.values() {
        let fail = |e: BoxError| LocalError::provision(&resource.logical_id, &resource.kind, e);
        match resource.kind.as_str() {
            "AWS::DynamoDB::Table" => {
                let name = create_table(&dynamodb, resource).await.map_err(fail)?;
                done.tables.insert(resource.logical_id.clone(), name);
            }
            "AWS::SQS::Queue" => {
                let queue = create_queue(&sqs, resource, resolver).await.map_err(fail)?;
                done.queues.insert(resource.logical_id.clone(), queue);
            }
            "AWS::SNS::Topic" => {
                let name = Resolver::physical_name(&resource.logical_id);
                let created = sns.create_topic().name(&name).send().await.map_err(|e| fail(sdk_error(e)))?;
                done.topics.insert(resource.logical_id.clone(), created.topic_arn.unwrap_or_default());
            }
            "AWS::SES::EmailIdentity" => {
                let identity = resolver.string(&resource.properties["EmailIdentity"])?;
                ses.create_email_identity().email_identity(&identity).send().await.map_err(|e| fail(sdk_error(e)))?;
                done.email_identities.push(identity);
            }
            "AWS::S3::Bucket" => {
                let name = resolver.reference(&resource.logical_id)?;
                create_bucket(sdk, &name).await.map_err(fail)?;
                done.buckets.insert(resource.logical_id.clone(), name);
            }
            "AWS::Scheduler::ScheduleGroup" => {
                let name = resolver.reference(&resource.logical_id)?;
                let scheduler = aws_sdk_scheduler::Client::new(sdk);
                scheduler.create_schedule_group().name(&name).send().await.map_err(|e| fail(sdk_error(e)))?;
                done.schedule_groups.push(name);
            }
            "AWS::SES::ConfigurationSet" => {
                let name = resolver.reference(&resource.logical_id)?;
                ses.create_configuration_set()
                    .configuration_set_name(name)
                    .send()
                    .await
                    .map_err(|e| fail(sdk_error(e)))?;
            }
            "AWS::SecretsManager::Secret" => {
                let arn = create_secret(sdk, resource, resolver).await.map_err(fail)?;
                done.secrets.insert(resource.logical_id.clone(), arn);
            }
            // Subscriptions after every topic and queue exists; pools before their clients and
            // groups (crate::cognito creates them in order).
            "AWS::SNS::Subscription"
            | "AWS::Cognito::UserPool"
            | "AWS::Cognito::UserPoolClient"
            | "AWS::Cognito::UserPoolGroup" => {}
            kind => match NO_LOCAL_EFFECT.iter().find(|(k, _)| *k == kind) {
                Some((_, why)) => done.not_created.push((resource.logical_id.clone(), kind.to_owned(), why)),
                None => {
                    return Err(fail(
                        format!(
                            "type {kind} is not known to the local stack; teach tests/src/provision.rs to create it"
                        )
                        .into(),
                    ));
                }
            },
        }
    }

    // Second pass: what refers to other resources.
    for resource in template.of_kind("AWS::SQS::Queue") {
        if let Some(redrive) = resource.properties.get("RedrivePolicy") {
            let fail = |e: BoxError| LocalError::provision(&resource.logical_id, &resource.kind, e);
            let policy = serde_json::json!({
                "deadLetterTargetArn": resolver.string(&redrive["deadLetterTargetArn"])?,
                "maxReceiveCount": resolver.string(&redrive["maxReceiveCount"])?.parse::<u32>().map_err(|e| fail(e.into()))?,
            });
            sqs.set_queue_attributes()
                .queue_url(&done.queues[&resource.logical_id].url)
                .attributes(QueueAttributeName::RedrivePolicy, policy.to_string())
                .send()
                .await
                .map_err(|e| fail(sdk_error(e)))?;
        }
    }
    for resource in template.of_kind("AWS::SNS::Subscription") {
        let fail = |e: BoxError| LocalError::provision(&resource.logical_id, &resource.kind, e);
        let p = &resource.properties;
        let raw = p.get("RawMessageDelivery").and_then(Value::as_bool).unwrap_or(false);
        sns.subscribe()
            .topic_arn(resolver.string(&p["TopicArn"])?)
            .protocol(resolver.string(&p["Protocol"])?)
            .endpoint(resolver.string(&p["Endpoint"])?)
            .attributes("RawMessageDelivery", raw.to_string())
            .send()
            .await
            .map_err(|e| fail(sdk_error(e)))?;
    }
    done.assigned = crate::cognito::provision(template, sdk, resolver).await?;
    Ok(done)
}

async fn create_table(client: &aws_sdk_dynamodb::Client, resource: &Resource) -> Result<String, BoxError> {
    let p = &resource.properties;
    let name = Resolver::physical_name(&resource.logical_id);
    let key_schema = |value: &Value| -> Result<Vec<KeySchemaElement>, BoxError> {
        list(value, "KeySchema")
            .map(|k| {
                Ok(KeySchemaElement::builder()
                    .attribute_name(text(k, "AttributeName")?)
                    .key_type(KeyType::from(text(k, "KeyType")?.as_str()))
                    .build()?)
            })
            .collect()
    };
    let mut create = client.create_table().table_name(&name).set_key_schema(Some(key_schema(p)?));
    for attribute in list(p, "AttributeDefinitions") {
        create = create.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(text(attribute, "AttributeName")?)
                .attribute_type(ScalarAttributeType::from(text(attribute, "AttributeType")?.as_str()))
                .build()?,
        );
    }
    for index in list(p, "GlobalSecondaryIndexes") {
        let projection = index.get("Projection").ok_or("an index has no Projection")?;
        create = create.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(text(index, "IndexName")?)
                .set_key_schema(Some(key_schema(index)?))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::from(text(projection, "ProjectionType")?.as_str()))
                        .set_non_key_attributes(
                            projection
                                .get("NonKeyAttributes")
                                .and_then(Value::as_sequence)
                                .map(|names| names.iter().filter_map(Value::as_str).map(str::to_owned).collect()),
                        )
                        .build(),
                )
                .build()?,
        );
    }
    let billing = p.get("BillingMode").and_then(Value::as_str).unwrap_or("PROVISIONED");
    if billing != "PAY_PER_REQUEST" {
        return Err("the table must be on-demand (BillingMode: PAY_PER_REQUEST)".into());
    }
    create.billing_mode(BillingMode::PayPerRequest).send().await.map_err(sdk_error)?;

    if let Some(ttl) = p.get("TimeToLiveSpecification") {
        let spec = TimeToLiveSpecification::builder()
            .attribute_name(text(ttl, "AttributeName")?)
            .enabled(ttl.get("Enabled").and_then(Value::as_bool).unwrap_or(false))
            .build()?;
        client
            .update_time_to_live()
            .table_name(&name)
            .time_to_live_specification(spec)
            .send()
            .await
            .map_err(sdk_error)?;
    }
    let pitr = p
        .get("PointInTimeRecoverySpecification")
        .and_then(|s| s.get("PointInTimeRecoveryEnabled"))
        .and_then(Value::as_bool);
    if pitr == Some(true) {
        let spec = PointInTimeRecoverySpecification::builder().point_in_time_recovery_enabled(true).build()?;
        client
            .update_continuous_backups()
            .table_name(&name)
            .point_in_time_recovery_specification(spec)
            .send()
            .await
            .map_err(sdk_error)?;
    }
    Ok(name)
}

/// Queue properties that are queue attributes of the same name.
const QUEUE_ATTRIBUTES: &[&str] = &[
    "VisibilityTimeout",
    "MessageRetentionPeriod",
    "DelaySeconds",
    "ReceiveMessageWaitTimeSeconds",
    "MaximumMessageSize",
];

async fn create_queue(
    client: &aws_sdk_sqs::Client,
    resource: &Resource,
    resolver: Resolver<'_>,
) -> Result<Queue, BoxError> {
    let name = Resolver::physical_name(&resource.logical_id);
    let mut create = client.create_queue().queue_name(&name);
    for attribute in QUEUE_ATTRIBUTES {
        if let Some(value) = resource.properties.get(*attribute) {
            create = create.attributes(QueueAttributeName::from(*attribute), resolver.string(value)?);
        }
    }
    let url = create.send().await.map_err(sdk_error)?.queue_url.unwrap_or_default();
    let expected = resolver.reference(&resource.logical_id)?;
    if url != expected {
        return Err(format!("moto named the queue {url}, but the template resolves it to {expected}").into());
    }
    Ok(Queue { name, url, arn: resolver.attribute(&resource.logical_id, "Arn")? })
}

/// A secret with the template's (empty) value; returns the ARN the functions are given.
async fn create_secret(
    sdk: &aws_config::SdkConfig,
    resource: &Resource,
    resolver: Resolver<'_>,
) -> Result<String, BoxError> {
    let value = resolver.string(&resource.properties["SecretString"])?;
    aws_sdk_secretsmanager::Client::new(sdk)
        .create_secret()
        .name(Resolver::physical_name(&resource.logical_id))
        .secret_string(value)
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(resolver.reference(&resource.logical_id)?)
}

async fn create_bucket(sdk: &aws_config::SdkConfig, name: &str) -> Result<(), BoxError> {
    let location = aws_sdk_s3::types::CreateBucketConfiguration::builder()
        .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(crate::template::REGION))
        .build();
    aws_sdk_s3::Client::new(sdk)
        .create_bucket()
        .bucket(name)
        .create_bucket_configuration(location)
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(())
}
