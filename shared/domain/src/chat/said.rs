//! What a citizen sent, as the webhook reads it: the chat line's input.

use serde::{Deserialize, Serialize};

/// What a citizen sent, as the webhook reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Said {
    Text {
        body: String,
    },
    /// A row of a list or a button: its id.
    Choice {
        id: String,
        title: String,
    },
    Location {
        lat: f64,
        lon: f64,
        address: Option<String>,
    },
    Image {
        media_id: String,
        caption: Option<String>,
    },
    /// Stickers, reactions, voice notes, videos…: kept by kind, never read.
    Unsupported {
        kind: String,
    },
}

impl Said {
    /// What staff read in the transcript.
    pub fn transcript(&self) -> String {
        match self {
            Self::Text { body } => body.clone(),
            Self::Choice { title, .. } => format!("[{title}]"),
            Self::Location { lat, lon, address } => {
                format!(
                    "[location {lat:.5},{lon:.5}{}]",
                    address.as_deref().map(|a| format!(" {a}")).unwrap_or_default()
                )
            }
            Self::Image { media_id, caption } => {
                format!("[photo {media_id}{}]", caption.as_deref().map(|c| format!(": {c}")).unwrap_or_default())
            }
            Self::Unsupported { kind } => format!("[{kind}]"),
        }
    }
}
