//! Identifiers. Each one is parsed once at the edge; a value of these types is known to be safe to
//! embed in a storage key (no `#`, no spaces, bounded length).

use std::fmt;

/// Why a string is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} must be 1 to {max} characters of {allowed} (got {got})")]
pub struct InvalidId {
    kind: &'static str,
    max: usize,
    allowed: &'static str,
    got: String,
}

/// What an identifier may be made of.
#[derive(Debug, Clone, Copy)]
enum Charset {
    /// What upstream systems use for their keys.
    Key,
    /// Tenant slugs: they also travel as SES message tags, which allow no '.' or ':'.
    Slug,
}

impl Charset {
    fn allows(self, c: char) -> bool {
        match self {
            Self::Key => c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-'),
            Self::Slug => c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-',
        }
    }

    fn described(self) -> &'static str {
        match self {
            Self::Key => "letters, digits, '.', '_', ':' or '-'",
            Self::Slug => "lowercase letters, digits or '-'",
        }
    }
}

fn parse_id(kind: &'static str, max: usize, charset: Charset, raw: &str) -> Result<String, InvalidId> {
    if (1..=max).contains(&raw.len()) && raw.chars().all(|c| charset.allows(c)) {
        Ok(raw.to_owned())
    } else {
        let shown: String = raw.chars().take(40).collect();
        Err(InvalidId { kind, max, allowed: charset.described(), got: format!("{shown:?}") })
    }
}

macro_rules! identifier {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $max:literal) => {
        identifier!($(#[$doc])* $name, $kind, $max, Key, "^[A-Za-z0-9._:-]+$");
    };
    ($(#[$doc:meta])* $name:ident, $kind:literal, $max:literal, $charset:ident, $pattern:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse(raw: &str) -> Result<Self, InvalidId> {
                parse_id($kind, $max, Charset::$charset, raw).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(raw: String) -> Result<Self, InvalidId> {
                Self::parse(&raw)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        string_schema!($name, $kind, {
            "minLength": 1,
            "maxLength": $max,
            "pattern": $pattern
        });

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

identifier!(
    /// A utility or council sharing the deployment (a slug, like `aigues-reus`); in every key.
    TenantId, "tenant_id", 40, Slug, "^[a-z0-9-]+$"
);
identifier!(
    /// A supply contract in the tenant's billing system.
    ContractId, "contract_id", 64
);
identifier!(
    /// A customer (contract holder) in the tenant's billing system.
    CustomerId, "customer_id", 64
);
identifier!(
    /// Upstream's id of a billing event: unique per tenant, the idempotency key of ingestion.
    EventId, "event_id", 128
);
identifier!(
    /// An invoice number as printed on the invoice.
    InvoiceNumber, "invoice number", 64
);
identifier!(
    /// A notice: derived from what caused it, so a repeated cause yields the same notice.
    NoticeId, "notice_id", 64
);
identifier!(
    /// A payment plan in the tenant's billing system.
    PlanId, "plan_id", 64
);
identifier!(
    /// A water meter.
    MeterId, "meter_id", 64
);
identifier!(
    /// A sector of the distribution network (what a valve closes off).
    SectorId, "network_sector", 64
);
identifier!(
    /// A tariff in the tenant's tariff catalogue.
    TariffCode, "tariff_code", 64
);
identifier!(
    /// A planned outage (`o-…`): derived from the request that planned it.
    OutageId, "outage_id", 64
);
identifier!(
    /// A message to many citizens at once (`spring-works-2027`): chosen by whoever sends it, so a
    /// second submission of the same announcement is the same send.
    AnnouncementId, "announcement_id", 64
);
identifier!(
    /// A citizen subscribed to a supply point's outage alerts without a contract of their own.
    SubscriberId, "subscriber_id", 64
);

/// Ids grouped by their tenant, for the batch reads a store answers one tenant at a time.
pub fn by_tenant<T>(pairs: impl IntoIterator<Item = (TenantId, T)>) -> std::collections::BTreeMap<TenantId, Vec<T>> {
    let mut grouped = std::collections::BTreeMap::<TenantId, Vec<T>>::new();
    for (tenant_id, id) in pairs {
        grouped.entry(tenant_id).or_default().push(id);
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_characters_upstream_ids_use() {
        assert_eq!(EventId::parse("evt_2026-11:0001.a").unwrap().as_str(), "evt_2026-11:0001.a");
    }

    #[test]
    fn refuses_key_separators_spaces_empty_and_overlong_ids() {
        for bad in ["", "a#b", "a b", "ç", "Reus", "reus.cat", &"x".repeat(41)] {
            let err = TenantId::parse(bad).unwrap_err();
            assert!(err.to_string().starts_with("tenant_id must be 1 to 40"), "{err}");
        }
    }

    #[test]
    fn deserializes_through_the_parser() {
        let err = serde_json::from_str::<ContractId>("\"C#1\"").unwrap_err();
        assert!(err.to_string().contains("contract_id must be"), "{err}");
    }
}
