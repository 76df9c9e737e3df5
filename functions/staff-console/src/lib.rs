//! staff-console: the web console staff work in, behind a Function URL. Server-rendered HTML
//! (the forms work without JavaScript; a small script keeps the inbox current), sign-in against
//! the template's Cognito user pool, sessions in the table behind an `HttpOnly` cookie, a CSRF
//! token on every form that changes something, and each role to its own pages. A tenant's staff
//! see and touch only that tenant's records: every read is keyed by the session's tenant.

mod admin;
mod announcements;
mod auth;
mod citizens;
mod complaints;
mod inbox;
mod incidents;
mod membership;
mod outage_plan;
mod outages;
mod pages;
mod previews;
mod priority;
mod sends;
mod settings;
mod settings_fields;
mod transfer;
mod web;

use avisa_aws::{CognitoStaff, S3MediaStore, SdkClient, UserPool};
use avisa_domain::clock::Clock;
use avisa_domain::tenant::SharedRates;
use avisa_runtime::RuntimeError;
use avisa_runtime::config::{self, ConfigError, ConfigSource};
use avisa_runtime::http::HttpHandler;
use avisa_wiring::Clients;
use avisa_wiring::chat::{ChatAdapters, ChatConfig};
use aws_lambda_events::event::lambda_function_urls::{LambdaFunctionUrlRequest, LambdaFunctionUrlResponse};

use crate::pages::Pages;
use crate::web::{Request, Response};

/// OpenStreetMap's standard tiles, unless the deployment names others (or none).
const DEFAULT_TILES: &str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";

#[derive(Debug, Clone)]
pub struct Config {
    pub chat: ChatConfig,
    pub user_pool_id: String,
    pub user_pool_client_id: String,
    /// The outage map's tiles (`{z}/{x}/{y}`); `None`: a map without tiles (offline, tests).
    pub tile_url: Option<String>,
    /// Where the chat line keeps incident photos.
    pub media_bucket: String,
    /// The providers' quotas every tenant shares, for the estimates of a send's time.
    pub shared_rates: SharedRates,
}

impl Config {
    pub fn load(source: &dyn ConfigSource) -> Result<Self, ConfigError> {
        Ok(Self {
            chat: ChatConfig::load(source)?,
            user_pool_id: config::required(source, "STAFF_USER_POOL_ID", "the template's StaffUserPool")?,
            user_pool_client_id: config::required(
                source,
                "STAFF_USER_POOL_CLIENT_ID",
                "the template's StaffUserPoolClient",
            )?,
            tile_url: match config::optional(source, "MAP_TILE_URL") {
                None => Some(DEFAULT_TILES.to_owned()),
                Some(url) if url.is_empty() => None,
                Some(url) => Some(url),
            },
            media_bucket: config::required(source, "CHAT_MEDIA_BUCKET", "the template's ChatMediaBucket")?,
            shared_rates: config::shared_send_rates(source)?,
        })
    }
}

#[derive(Debug)]
pub struct App {
    chat: ChatAdapters,
    /// Signs staff in, and manages them for administrators.
    staff: CognitoStaff,
    pages: Pages,
    tile_url: Option<String>,
    tiles_origin: Option<String>,
    media: S3MediaStore,
    shared_rates: SharedRates,
}

impl App {
    pub fn new(config: &Config, sdk: &aws_config::SdkConfig) -> Result<Self, RuntimeError> {
        let region = sdk.region().map_or_else(|| "eu-west-1".to_owned(), ToString::to_string);
        let pool = UserPool { id: config.user_pool_id.clone(), client_id: config.user_pool_client_id.clone(), region };
        Ok(Self {
            chat: ChatAdapters::new(&config.chat, &Clients::new(sdk))?,
            staff: CognitoStaff::new(sdk, pool),
            pages: Pages::load(),
            tiles_origin: config.tile_url.as_deref().and_then(web::origin_of),
            tile_url: config.tile_url.clone(),
            media: S3MediaStore::new(SdkClient::lazy(sdk, aws_sdk_s3::Client::new), &config.media_bucket),
            shared_rates: config.shared_rates,
        })
    }

    /// The tenant's settings, or the deployment's while it has none of its own.
    async fn settings(
        &self,
        tenant_id: &avisa_domain::ids::TenantId,
    ) -> Result<avisa_domain::tenant::TenantSettings, avisa_domain::Error> {
        use avisa_domain::ports::TenantDirectory;
        Ok(self.chat.store.settings(tenant_id).await?.unwrap_or_else(|| self.chat.defaults.clone()))
    }

    async fn answer(&self, request: &Request<'_>) -> Response {
        let now = self.chat.clock.now();
        match (request.method, request.segments().as_slice()) {
            ("GET", ["static", file]) => web::asset(file),
            ("GET", ["sign-in"]) => auth::form(&self.pages, request, None),
            ("POST", ["sign-in"]) => auth::sign_in(self, request, now).await,
            ("POST", ["sign-in", "new-password"]) => auth::first_password(self, request, now).await,
            _ => {
                let session = match auth::session(&self.chat.store, request, now).await {
                    Ok(session) => session,
                    Err(refused) => return refused,
                };
                if request.method != "GET" && !session.accepts(request.form("csrf").unwrap_or_default()) {
                    return self.pages.problem(403, &session, "This form has expired or did not come from the console: go back, reload the page and try again.");
                }
                self.signed_in(request, &session, now).await
            }
        }
    }

    async fn signed_in(
        &self,
        request: &Request<'_>,
        session: &avisa_domain::staff::Session,
        now: jiff::Timestamp,
    ) -> Response {
        match (request.method, request.segments().as_slice()) {
            ("GET", [""]) => home(session),
            ("GET", ["no-page"]) => self.pages.problem(
                403,
                session,
                "Your roles open no page of the console yet: ask your administrator for the one you need.",
            ),
            ("POST", ["sign-out"]) => auth::sign_out(self, request, session, now).await,
            (_, ["inbox" | "conversations", ..]) => inbox::route(self, request, session, now).await,
            (_, ["citizens"]) => citizens::route(self, request, session, now).await,
            (_, ["complaints", ..]) => complaints::route(self, request, session, now).await,
            (_, ["incidents" | "appointments", ..]) => incidents::route(self, request, session, now).await,
            (_, ["outages", ..]) => outages::route(self, request, session, now).await,
            (_, ["announcements", ..]) => announcements::route(self, request, session, now).await,
            (_, ["templates", ..]) => previews::route(self, request, session, now).await,
            (_, ["admin", ..]) => admin::route(self, request, session, now).await,
            _ => self.pages.problem(404, session, "There is no such page in the console."),
        }
    }
}

/// Where a member lands: the first part of the console their roles open.
fn home(session: &avisa_domain::staff::Session) -> Response {
    use avisa_domain::staff::Area;
    let member = &session.member;
    let areas = [
        (Area::Inbox, "/inbox"),
        (Area::Complaints, "/complaints"),
        (Area::Outages, "/outages"),
        (Area::Citizens, "/citizens"),
        (Area::Admin, "/admin"),
    ];
    let first = areas.into_iter().find(|(area, _)| member.may_open(*area));
    Response::see_other(first.map_or("/no-page", |(_, path)| path))
}

#[async_trait::async_trait]
impl HttpHandler for App {
    async fn handle(&self, request: &LambdaFunctionUrlRequest) -> LambdaFunctionUrlResponse {
        let response = match Request::read(request) {
            Ok(request) => self.answer(&request).await,
            Err(refused) => refused,
        };
        tracing::info!(status = response.status, "console request");
        response.into_lambda(self.tiles_origin.as_deref())
    }
}
