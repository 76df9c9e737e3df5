//! Staff sign in against the template's Cognito user pool. Cognito checks the password
//! (`USER_PASSWORD_AUTH`, and an invited member's first one); the ID token it answers with is
//! verified here — its signature against the pool's published keys, its issuer, audience (the
//! console's app client), expiry and use — before the tenant and groups it names are believed.
//! Administrators manage their tenant's members through the same pool (`directory`).

use async_trait::async_trait;
use avisa_domain::PortError;
use avisa_domain::ids::TenantId;
use avisa_domain::staff::{Role, SignInRefusal, SignInStep, SignedIn, StaffMember, StaffSignIn, TEAM_GROUP_PREFIX};
use avisa_domain::text::Text;
use aws_sdk_cognitoidentityprovider::operation::initiate_auth::InitiateAuthError;
use aws_sdk_cognitoidentityprovider::operation::respond_to_auth_challenge::RespondToAuthChallengeError;
use aws_sdk_cognitoidentityprovider::types::{AuthFlowType, AuthenticationResultType, ChallengeNameType};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};

use crate::error::classify;

mod directory;

/// The attribute that names a member's tenant (set by an administrator, never by the member).
pub const TENANT_ATTRIBUTE: &str = "custom:tenant_id";

/// A user pool and the console's app client in it.
#[derive(Debug, Clone)]
pub struct UserPool {
    pub id: String,
    pub client_id: String,
    pub region: String,
}

impl UserPool {
    /// What Cognito writes in the `iss` of the pool's tokens.
    pub fn issuer(&self) -> String {
        format!("https://cognito-idp.{}.amazonaws.com/{}", self.region, self.id)
    }
}

/// The claims of an ID token the console reads.
#[derive(Debug, serde::Deserialize)]
struct IdClaims {
    exp: i64,
    token_use: String,
    #[serde(rename = "cognito:username")]
    username: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(rename = "custom:tenant_id", default)]
    tenant_id: Option<String>,
    #[serde(rename = "cognito:groups", default)]
    groups: Vec<String>,
}

#[derive(Debug)]
pub struct CognitoStaff {
    /// Made at the first staff change: signing in checks tokens with the pool's keys only.
    client: crate::SdkClient<aws_sdk_cognitoidentityprovider::Client>,
    pool: UserPool,
    keys_url: String,
    http: crate::https::LazyClient,
    keys: tokio::sync::RwLock<Option<JwkSet>>,
}

impl CognitoStaff {
    /// The pool's keys are published beside its API: Cognito's own address, or the endpoint the
    /// SDK is pointed at (a local stack).
    pub fn new(sdk: &aws_config::SdkConfig, pool: UserPool) -> Self {
        let keys_url = match sdk.endpoint_url() {
            Some(endpoint) => format!("{}/{}/.well-known/jwks.json", endpoint.trim_end_matches('/'), pool.id),
            None => format!("{}/.well-known/jwks.json", pool.issuer()),
        };
        let http = crate::https::LazyClient::new(|builder| {
            builder.timeout(std::time::Duration::from_secs(5)).redirect(reqwest::redirect::Policy::none())
        });
        Self {
            client: crate::SdkClient::lazy(sdk, aws_sdk_cognitoidentityprovider::Client::new),
            pool,
            keys_url,
            http,
            keys: tokio::sync::RwLock::default(),
        }
    }

    /// The pool's public keys, fetched once; again when a token names a key not among them
    /// (Cognito rotated its keys).
    async fn key(&self, kid: &str) -> Result<DecodingKey, PortError> {
        const OPERATION: &str = "cognito.GetJsonWebKeys";
        if let Some(jwk) = self.keys.read().await.as_ref().and_then(|keys| keys.find(kid)) {
            return DecodingKey::from_jwk(jwk).map_err(|e| PortError::misconfigured(OPERATION, e));
        }
        let fetched: JwkSet =
            async { self.http.get().get(&self.keys_url).send().await?.error_for_status()?.json().await }
                .await
                .map_err(|e| PortError::transient(OPERATION, e))?;
        let key = fetched.find(kid).map(DecodingKey::from_jwk);
        *self.keys.write().await = Some(fetched);
        match key {
            Some(key) => key.map_err(|e| PortError::misconfigured(OPERATION, e)),
            None => Err(PortError::permanent(OPERATION, format!("the pool publishes no key {kid}"))),
        }
    }

    /// The member's `name` attribute, read with their own access token (when the ID token does not
    /// carry it).
    async fn name(&self, access_token: &str) -> Result<Option<Text<100>>, PortError> {
        let user = self
            .client
            .get_user()
            .access_token(access_token)
            .send()
            .await
            .map_err(|e| classify("cognito-idp.GetUser", e))?;
        let name = user.user_attributes().iter().find(|a| a.name() == "name").and_then(|a| a.value());
        Ok(name.and_then(|n| Text::parse(n).ok()))
    }

    /// The member an ID token vouches for, once its signature and claims hold; and whether the
    /// token named them.
    async fn verify(&self, id_token: &str) -> Result<Result<(SignedIn, bool), SignInRefusal>, PortError> {
        const OPERATION: &str = "cognito.verify(id token)";
        let header = jsonwebtoken::decode_header(id_token).map_err(|e| PortError::permanent(OPERATION, e))?;
        let key = self.key(header.kid.as_deref().unwrap_or_default()).await?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[self.pool.issuer()]);
        validation.set_audience(&[&self.pool.client_id]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let claims = jsonwebtoken::decode::<IdClaims>(id_token, &key, &validation)
            .map_err(|e| PortError::permanent(OPERATION, e))?
            .claims;
        if claims.token_use != "id" {
            return Err(PortError::permanent(
                OPERATION,
                format!("a {} token where an ID token was due", claims.token_use),
            ));
        }
        let named = claims.name.is_some();
        Ok(member(claims).map(|signed_in| (signed_in, named)))
    }
}

fn member(claims: IdClaims) -> Result<SignedIn, SignInRefusal> {
    let tenant_id = claims
        .tenant_id
        .as_deref()
        .and_then(|t| TenantId::parse(t).ok())
        .ok_or(SignInRefusal::NotStaff("it names no tenant"))?;
    let roles =
        claims.groups.iter().filter_map(|group| Role::from_group(group)).collect::<std::collections::BTreeSet<_>>();
    if roles.is_empty() {
        return Err(SignInRefusal::NotStaff("it has no role (agent, planner, complaints or admin)"));
    }
    let teams =
        claims.groups.iter().filter_map(|group| group.strip_prefix(TEAM_GROUP_PREFIX)).map(str::to_owned).collect();
    let name = claims.name.as_deref().and_then(|n| Text::parse(n).ok());
    let name =
        name.or_else(|| Text::parse(&claims.username).ok()).ok_or(SignInRefusal::NotStaff("its name is not usable"))?;
    let expires_at = jiff::Timestamp::from_second(claims.exp)
        .map_err(|_| SignInRefusal::NotStaff("its token has no valid expiry"))?;
    Ok(SignedIn { member: StaffMember { tenant_id, username: claims.username, name, roles, teams }, expires_at })
}

impl CognitoStaff {
    /// The member the tokens of a finished sign-in vouch for.
    async fn signed_in(
        &self,
        operation: &'static str,
        tokens: Option<&AuthenticationResultType>,
    ) -> Result<Result<SignedIn, SignInRefusal>, PortError> {
        let (Some(id_token), Some(access_token)) =
            (tokens.and_then(|t| t.id_token()), tokens.and_then(|t| t.access_token()))
        else {
            return Err(PortError::permanent(operation, "Cognito answered without an ID or access token"));
        };
        let (mut signed_in, named) = match self.verify(id_token).await? {
            Ok(verified) => verified,
            Err(refusal) => return Ok(Err(refusal)),
        };
        if !named && let Some(name) = self.name(access_token).await? {
            signed_in.member.name = name;
        }
        Ok(Ok(signed_in))
    }
}

#[async_trait]
impl StaffSignIn for CognitoStaff {
    async fn sign_in(&self, username: &str, password: &str) -> Result<Result<SignInStep, SignInRefusal>, PortError> {
        const OPERATION: &str = "cognito-idp.InitiateAuth";
        let answer = self
            .client
            .initiate_auth()
            .client_id(&self.pool.client_id)
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", username)
            .auth_parameters("PASSWORD", password)
            .send()
            .await;
        let answer = match answer {
            Ok(answer) => answer,
            Err(error) => {
                return match error.as_service_error() {
                    Some(InitiateAuthError::NotAuthorizedException(e))
                        if e.message().is_some_and(|m| m.contains("disabled")) =>
                    {
                        Ok(Err(SignInRefusal::Disabled))
                    }
                    Some(
                        InitiateAuthError::NotAuthorizedException(_) | InitiateAuthError::UserNotFoundException(_),
                    ) => Ok(Err(SignInRefusal::WrongCredentials)),
                    Some(
                        InitiateAuthError::PasswordResetRequiredException(_)
                        | InitiateAuthError::UserNotConfirmedException(_),
                    ) => Ok(Err(SignInRefusal::ResetRequired)),
                    _ => Err(classify(OPERATION, error)),
                };
            }
        };
        if answer.challenge_name() == Some(&ChallengeNameType::NewPasswordRequired) {
            let challenge = answer.session().unwrap_or_default().to_owned();
            return Ok(Ok(SignInStep::NewPassword { challenge }));
        }
        Ok(self.signed_in(OPERATION, answer.authentication_result()).await?.map(SignInStep::SignedIn))
    }

    async fn first_password(
        &self,
        username: &str,
        challenge: &str,
        new_password: &str,
    ) -> Result<Result<SignedIn, SignInRefusal>, PortError> {
        const OPERATION: &str = "cognito-idp.RespondToAuthChallenge";
        let answer = self
            .client
            .respond_to_auth_challenge()
            .client_id(&self.pool.client_id)
            .challenge_name(ChallengeNameType::NewPasswordRequired)
            .session(challenge)
            .challenge_responses("USERNAME", username)
            .challenge_responses("NEW_PASSWORD", new_password)
            .send()
            .await;
        match answer {
            Ok(answer) => self.signed_in(OPERATION, answer.authentication_result()).await,
            Err(error) => match error.as_service_error() {
                Some(RespondToAuthChallengeError::InvalidPasswordException(e)) => {
                    Ok(Err(SignInRefusal::WeakPassword(e.message().unwrap_or("too weak").to_owned())))
                }
                Some(
                    RespondToAuthChallengeError::NotAuthorizedException(_)
                    | RespondToAuthChallengeError::ExpiredCodeException(_)
                    | RespondToAuthChallengeError::CodeMismatchException(_),
                ) => Ok(Err(SignInRefusal::ChallengeExpired)),
                _ => Err(classify(OPERATION, error)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(tenant: Option<&str>, groups: &[&str]) -> IdClaims {
        IdClaims {
            exp: 1_796_217_833,
            token_use: "id".into(),
            username: "jordi".into(),
            name: None,
            tenant_id: tenant.map(str::to_owned),
            groups: groups.iter().map(|g| (*g).to_owned()).collect(),
        }
    }

    #[test]
    fn a_member_needs_a_tenant_and_a_role() {
        let signed_in = member(claims(Some("aigues-reus"), &["agent", "team-social", "eu-west-1_Google"])).unwrap();
        assert_eq!(signed_in.member.roles, [Role::Agent].into());
        assert_eq!(signed_in.member.teams, ["social".to_owned()].into());
        assert_eq!(signed_in.member.name.as_str(), "jordi", "the username when the pool has no name");
        assert!(matches!(member(claims(None, &["agent"])), Err(SignInRefusal::NotStaff(_))));
        assert!(matches!(member(claims(Some("Not a tenant!"), &["agent"])), Err(SignInRefusal::NotStaff(_))));
        assert!(matches!(member(claims(Some("aigues-reus"), &["Agents"])), Err(SignInRefusal::NotStaff(_))));
    }
}
