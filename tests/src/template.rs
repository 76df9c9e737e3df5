//! `infra/template.yaml`, read as the local stack needs it: the resources, and the intrinsic
//! functions (`!Ref`, `!GetAtt`, `!Sub`) resolved to the names the resources get locally.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_yaml::Value;

use crate::LocalError;
use crate::moto::workspace_root;

/// Moto's default account.
pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "eu-west-1";
pub const STACK: &str = "avisa";

#[derive(Debug, Clone)]
pub struct Resource {
    pub logical_id: String,
    pub kind: String,
    pub properties: Value,
    pub metadata: Value,
}

#[derive(Debug, Clone)]
pub struct Template {
    pub path: PathBuf,
    parameters: BTreeMap<String, Value>,
    pub resources: BTreeMap<String, Resource>,
    /// `Globals.Function.Environment.Variables`.
    pub global_env: serde_yaml::Mapping,
    /// `Globals.Function.Timeout`, in seconds.
    pub global_timeout: Option<u64>,
    /// `Outputs`: each output's `Value`.
    pub outputs: BTreeMap<String, Value>,
}

/// `field` of each entry of the top-level `section` (a parameter's `Default`, an output's `Value`),
/// by name; entries without it are left out.
fn each_field(root: &Value, section: &str, field: &str) -> BTreeMap<String, Value> {
    root.get(section)
        .and_then(Value::as_mapping)
        .into_iter()
        .flatten()
        .filter_map(|(name, entry)| Some((name.as_str()?.to_owned(), entry.get(field)?.clone())))
        .collect()
}

fn invalid(msg: impl Into<String>) -> LocalError {
    LocalError::Template(msg.into())
}

impl Template {
    pub fn default_path() -> PathBuf {
        workspace_root().join("infra/template.yaml")
    }

    pub fn load(path: &Path) -> Result<Self, LocalError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| LocalError::Io { what: format!("reading {}", path.display()), source })?;
        Self::parse(path, &text)
    }

    /// A template from its text (`path` says where it came from).
    pub fn parse(path: &Path, text: &str) -> Result<Self, LocalError> {
        let root: Value = serde_yaml::from_str(text).map_err(|e| invalid(format!("not YAML: {e}")))?;
        let parameters = each_field(&root, "Parameters", "Default");
        let resources = root
            .get("Resources")
            .and_then(Value::as_mapping)
            .ok_or_else(|| invalid("has no Resources"))?
            .iter()
            .map(|(id, body)| {
                let logical_id = id.as_str().ok_or_else(|| invalid("a resource id is not a string"))?.to_owned();
                let kind = body
                    .get("Type")
                    .and_then(Value::as_str)
                    .ok_or_else(|| invalid(format!("{logical_id} has no Type")))?;
                let resource = Resource {
                    logical_id: logical_id.clone(),
                    kind: kind.to_owned(),
                    properties: body.get("Properties").cloned().unwrap_or(Value::Null),
                    metadata: body.get("Metadata").cloned().unwrap_or(Value::Null),
                };
                Ok((logical_id, resource))
            })
            .collect::<Result<_, LocalError>>()?;
        let global_env = root
            .get("Globals")
            .and_then(|g| g.get("Function"))
            .and_then(|f| f.get("Environment"))
            .and_then(|e| e.get("Variables"))
            .and_then(Value::as_mapping)
            .cloned()
            .unwrap_or_default();
        let global_timeout = root.get("Globals").and_then(|g| g.get("Function")).and_then(|f| f.get("Timeout"));
        let global_timeout = global_timeout.and_then(Value::as_u64);
        let outputs = each_field(&root, "Outputs", "Value");
        Ok(Self { path: path.to_owned(), parameters, resources, global_env, global_timeout, outputs })
    }

    pub fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Resource> + 'a {
        self.resources.values().filter(move |r| r.kind == kind)
    }

    pub fn resolver<'a>(&'a self, endpoint: &'a str) -> Resolver<'a> {
        Resolver { template: self, endpoint, assigned: None }
    }
}

/// Resolves intrinsics to the local stack's names, as CloudFormation would to the cloud's.
#[derive(Debug, Clone, Copy)]
pub struct Resolver<'a> {
    template: &'a Template,
    endpoint: &'a str,
    /// The ids the provider chose when it created a resource (a Cognito pool's): logical id → id.
    assigned: Option<&'a BTreeMap<String, String>>,
}

impl<'a> Resolver<'a> {
    /// This resolver, also knowing the ids the provider assigned.
    #[must_use]
    pub fn with_assigned(self, assigned: &'a BTreeMap<String, String>) -> Self {
        Self { assigned: Some(assigned), ..self }
    }

    fn assigned(&self, logical_id: &str, kind: &str) -> Result<String, LocalError> {
        self.assigned
            .and_then(|ids| ids.get(logical_id))
            .cloned()
            .ok_or_else(|| invalid(format!("{logical_id} ({kind}) has an id only once the local stack has created it")))
    }

    pub fn physical_name(logical_id: &str) -> String {
        format!("{STACK}-{logical_id}")
    }

    fn resource(&self, logical_id: &str) -> Result<&Resource, LocalError> {
        self.template
            .resources
            .get(logical_id)
            .ok_or_else(|| invalid(format!("refers to {logical_id}, which it does not declare")))
    }

    /// What `!Ref name` gives.
    pub fn reference(&self, name: &str) -> Result<String, LocalError> {
        match name {
            "AWS::Region" => return Ok(REGION.to_owned()),
            "AWS::AccountId" => return Ok(ACCOUNT.to_owned()),
            "AWS::Partition" => return Ok("aws".to_owned()),
            "AWS::StackName" => return Ok(STACK.to_owned()),
            "AWS::URLSuffix" => return Ok("amazonaws.com".to_owned()),
            _ => {}
        }
        if let Some(default) = self.template.parameters.get(name) {
            return scalar(default).ok_or_else(|| invalid(format!("parameter {name} has a non-scalar default")));
        }
        let resource = self.resource(name)?;
        let physical = Self::physical_name(name);
        Ok(match resource.kind.as_str() {
            kind @ ("AWS::Cognito::UserPool" | "AWS::Cognito::UserPoolClient") => self.assigned(name, kind)?,
            "AWS::SQS::Queue" => format!("{}/{ACCOUNT}/{physical}", self.endpoint),
            "AWS::SNS::Topic" => format!("arn:aws:sns:{REGION}:{ACCOUNT}:{physical}"),
            // The partial ARN (without the random suffix AWS adds), which Secrets Manager accepts.
            "AWS::SecretsManager::Secret" => format!("arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{physical}"),
            "AWS::SES::EmailIdentity" => self.string(&resource.properties["EmailIdentity"])?,
            // Bucket names are lowercase.
            "AWS::S3::Bucket" => physical.to_lowercase(),
            _ => physical,
        })
    }

    /// What `!GetAtt logical_id.attribute` gives.
    pub fn attribute(&self, logical_id: &str, attribute: &str) -> Result<String, LocalError> {
        let resource = self.resource(logical_id)?;
        let name = Self::physical_name(logical_id);
        match (resource.kind.as_str(), attribute) {
            ("AWS::SQS::Queue", "Arn") => Ok(format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{name}")),
            ("AWS::SQS::Queue", "QueueName") => Ok(name),
            ("AWS::SQS::Queue", "QueueUrl") | ("AWS::SNS::Topic", "TopicArn") => self.reference(logical_id),
            ("AWS::DynamoDB::Table", "Arn") => Ok(format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}")),
            ("AWS::IAM::Role", "Arn") => Ok(format!("arn:aws:iam::{ACCOUNT}:role/{name}")),
            // As CloudFormation gives it: the group's streams included.
            ("AWS::Logs::LogGroup", "Arn") => Ok(format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}:*")),
            ("AWS::Cognito::UserPool", "Arn") => {
                Ok(format!("arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{}", self.assigned(logical_id, "pool")?))
            }
            ("AWS::S3::Bucket", "Arn") => Ok(format!("arn:aws:s3:::{}", name.to_lowercase())),
            ("AWS::Scheduler::ScheduleGroup", "Arn") => {
                Ok(format!("arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule-group/{name}"))
            }
            (kind, attribute) => Err(invalid(format!(
                "{logical_id}.{attribute} ({kind}) has no local value; teach tests/src/template.rs"
            ))),
        }
    }

    /// Resolves a value to a string (scalars as written, intrinsics resolved).
    pub fn string(&self, value: &Value) -> Result<String, LocalError> {
        if let Some(s) = scalar(value) {
            return Ok(s);
        }
        let Value::Tagged(tagged) = value else {
            return Err(invalid(format!("expected a string or an intrinsic, got {value:?}")));
        };
        let tag = tagged.tag.to_string();
        match (tag.as_str(), &tagged.value) {
            ("!Ref", Value::String(name)) => self.reference(name),
            ("!GetAtt", Value::String(path)) => {
                let (id, attribute) =
                    path.split_once('.').ok_or_else(|| invalid(format!("!GetAtt {path} needs Resource.Attribute")))?;
                self.attribute(id, attribute)
            }
            ("!Sub", Value::String(text)) => self.substitute(text),
            (tag, _) => Err(invalid(format!("intrinsic {tag} is not supported locally; teach tests/src/template.rs"))),
        }
    }

    fn substitute(&self, text: &str) -> Result<String, LocalError> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find('}').ok_or_else(|| invalid(format!("unclosed ${{ in !Sub {text:?}")))? + start;
            let name = &rest[start + 2..end];
            let value = match name.split_once('.') {
                Some((id, attribute)) if !name.starts_with("AWS::") => self.attribute(id, attribute)?,
                _ => self.reference(name)?,
            };
            out.push_str(&value);
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template() -> Template {
        Template::load(&Template::default_path()).expect("infra/template.yaml loads")
    }

    #[test]
    fn resolves_refs_attributes_and_subs_to_local_names() {
        let t = template();
        let r = t.resolver("http://127.0.0.1:1");
        assert_eq!(r.reference("ComposeQueue").unwrap(), "http://127.0.0.1:1/123456789012/avisa-ComposeQueue");
        assert_eq!(r.attribute("Table", "Arn").unwrap(), "arn:aws:dynamodb:eu-west-1:123456789012:table/avisa-Table");
        assert_eq!(r.reference("SenderEmail").unwrap(), "avisos@example.org");
        let sub = Value::Tagged(Box::new(serde_yaml::value::TaggedValue {
            tag: serde_yaml::value::Tag::new("Sub"),
            value: Value::String("${Table.Arn}/index/*".into()),
        }));
        assert_eq!(r.string(&sub).unwrap(), "arn:aws:dynamodb:eu-west-1:123456789012:table/avisa-Table/index/*");
    }

    #[test]
    fn a_reference_to_an_undeclared_resource_is_an_error() {
        let t = template();
        let err = t.resolver("http://x").reference("Nope").unwrap_err();
        assert!(err.to_string().contains("refers to Nope"), "{err}");
    }

    #[test]
    fn every_bucket_refuses_requests_without_tls_and_old_manifest_versions_expire() {
        let t = template();
        for bucket in t.of_kind("AWS::S3::Bucket") {
            let denies_plain_http = t.of_kind("AWS::S3::BucketPolicy").any(|policy| {
                let names_bucket = serde_yaml::to_string(&policy.properties["Bucket"])
                    .is_ok_and(|b| b.contains(bucket.logical_id.as_str()));
                let statements =
                    policy.properties["PolicyDocument"]["Statement"].as_sequence().cloned().unwrap_or_default();
                names_bucket
                    && statements.iter().any(|s| {
                        s["Effect"].as_str() == Some("Deny")
                            && s["Condition"]["Bool"]["aws:SecureTransport"].as_str() == Some("false")
                    })
            });
            assert!(denies_plain_http, "{} accepts requests without TLS", bucket.logical_id);
            let rules = bucket.properties["LifecycleConfiguration"]["Rules"].as_sequence().cloned().unwrap_or_default();
            assert!(
                rules.iter().any(|r| r["NoncurrentVersionExpiration"]["NoncurrentDays"].as_u64().is_some()
                    || bucket.properties["VersioningConfiguration"].is_null()),
                "{}: noncurrent versions are kept for ever",
                bucket.logical_id
            );
        }
    }
}
