//! How fast a tenant may send: its own budgets per channel, and the quotas every tenant of a
//! deployment shares.

use serde::{Deserialize, Serialize};

use crate::channel::Channel;

/// Sends per second, per tenant and channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimits {
    /// SES's default production sending rate is 14 per second.
    pub email_per_second: u32,
    /// SMS parts (not messages) per second.
    pub sms_parts_per_second: u32,
    /// WhatsApp messages per second (Cloud API's default throughput is 80).
    #[serde(default = "default_whatsapp_per_second")]
    pub whatsapp_per_second: u32,
}

fn default_whatsapp_per_second() -> u32 {
    20
}

impl RateLimits {
    /// How long `deliveries` take on `channel` at these rates (one SMS part each); `None` when
    /// the channel is paused (a rate of zero) and something waits for it.
    pub fn seconds_for(&self, channel: Channel, deliveries: u64) -> Option<u64> {
        let per_second = u64::from(match channel {
            Channel::Email | Channel::Paper => self.email_per_second,
            Channel::Sms => self.sms_parts_per_second,
            Channel::Whatsapp => self.whatsapp_per_second,
        });
        match (deliveries, per_second) {
            (0, _) => Some(0),
            (_, 0) => None,
            (n, rate) => Some(n.div_ceil(rate)),
        }
    }
}

impl Default for RateLimits {
    fn default() -> Self {
        Self { email_per_second: 14, sms_parts_per_second: 20, whatsapp_per_second: default_whatsapp_per_second() }
    }
}

/// The providers' quotas the tenants of a deployment share: SES's sending rate and SNS's SMS rate
/// are per AWS account and region, whatever each tenant's own budget says. A channel without one
/// is limited by the tenants' budgets alone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SharedRates {
    pub email_per_second: Option<u32>,
    pub sms_parts_per_second: Option<u32>,
    pub whatsapp_per_second: Option<u32>,
}

impl SharedRates {
    /// `email=14,sms=20,whatsapp=80` (sends per second; SMS in parts); empty: none.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut rates = Self::default();
        for pair in text.split(',').map(str::trim).filter(|pair| !pair.is_empty()) {
            let expected = || {
                format!(
                    "`{pair}`: expected channel=sends per second, channels email, sms, whatsapp (e.g. email=14,sms=20)"
                )
            };
            let (channel, rate) = pair.split_once('=').ok_or_else(expected)?;
            let rate: u32 = rate.trim().parse().map_err(|_| expected())?;
            let slot = match channel.trim() {
                "email" => &mut rates.email_per_second,
                "sms" => &mut rates.sms_parts_per_second,
                "whatsapp" => &mut rates.whatsapp_per_second,
                _ => return Err(expected()),
            };
            *slot = Some(rate);
        }
        Ok(rates)
    }

    pub fn per_second(&self, channel: Channel) -> Option<u32> {
        match channel {
            Channel::Email | Channel::Paper => self.email_per_second,
            Channel::Sms => self.sms_parts_per_second,
            Channel::Whatsapp => self.whatsapp_per_second,
        }
    }

    /// A tenant's rates as the deployment lets them be: the lower of the two on each channel.
    pub fn limit(&self, tenant: RateLimits) -> RateLimits {
        let lower = |own: u32, shared: Option<u32>| shared.map_or(own, |shared| own.min(shared));
        RateLimits {
            email_per_second: lower(tenant.email_per_second, self.email_per_second),
            sms_parts_per_second: lower(tenant.sms_parts_per_second, self.sms_parts_per_second),
            whatsapp_per_second: lower(tenant.whatsapp_per_second, self.whatsapp_per_second),
        }
    }
}
