//! Reading an HTTP answer from a server we do not run: never more than a limit, whatever it
//! announces.

/// Why a body was not read.
pub(crate) enum BodyError {
    TooLarge,
    Read(reqwest::Error),
}

/// The body of `response`, refused past `limit` bytes (announced or not).
pub(crate) async fn within(mut response: reqwest::Response, limit: u64) -> Result<Vec<u8>, BodyError> {
    if response.content_length().is_some_and(|length| length > limit) {
        return Err(BodyError::TooLarge);
    }
    let mut content = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Read)? {
        if (content.len() + chunk.len()) as u64 > limit {
            return Err(BodyError::TooLarge);
        }
        content.extend_from_slice(&chunk);
    }
    Ok(content)
}

/// An HTTP client error with its causes (a refused name, a TLS failure), on one line.
pub(crate) fn causes(error: &reqwest::Error) -> String {
    std::iter::successors(Some(error as &dyn std::error::Error), |e| e.source())
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ")
}
