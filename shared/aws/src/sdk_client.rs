//! SDK clients made when first used.

use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use aws_types::SdkConfig;

/// An SDK client, made the first time a call needs it (clones share it). Making a client parses
/// its service's endpoint rules and partitions, a good part of a cold start for a function with
/// six of them: a dispatcher that only sends email never makes its SNS, Secrets Manager or
/// Scheduler client. Used as the client itself (`Deref`).
pub struct SdkClient<C>(Arc<Made<C>>);

struct Made<C> {
    client: OnceLock<C>,
    make: Box<dyn Fn() -> C + Send + Sync>,
}

impl<C: 'static> SdkClient<C> {
    /// `make(sdk)` at the first call.
    pub fn lazy(sdk: &SdkConfig, make: fn(&SdkConfig) -> C) -> Self {
        let sdk = sdk.clone();
        Self(Arc::new(Made { client: OnceLock::new(), make: Box::new(move || make(&sdk)) }))
    }
}

impl<C: Clone + Send + Sync + 'static> From<C> for SdkClient<C> {
    /// A client made already (tests, and clients every event needs).
    fn from(client: C) -> Self {
        // Never called, the client being there already: a maker that cannot fail keeps `Deref` total.
        let copy = client.clone();
        Self(Arc::new(Made { client: OnceLock::from(client), make: Box::new(move || copy.clone()) }))
    }
}

impl<C> Deref for SdkClient<C> {
    type Target = C;

    fn deref(&self) -> &C {
        self.0.client.get_or_init(|| (self.0.make)())
    }
}

impl<C> Clone for SdkClient<C> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<C> fmt::Debug for SdkClient<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.0.client.get().is_some() { "made" } else { "not made yet" };
        f.debug_tuple("SdkClient").field(&format_args!("{} ({state})", std::any::type_name::<C>())).finish()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    static MADE: AtomicUsize = AtomicUsize::new(0);

    fn count(_: &SdkConfig) -> usize {
        MADE.fetch_add(1, Ordering::SeqCst) + 1
    }

    #[test]
    fn a_lazy_client_is_made_at_its_first_use_once_for_all_its_clones() {
        // GIVEN a client nobody has used
        let client = SdkClient::lazy(&SdkConfig::builder().build(), count);
        let clone = client.clone();
        assert_eq!(MADE.load(Ordering::SeqCst), 0, "made before it was used");
        assert!(format!("{client:?}").contains("not made yet"));
        // WHEN it and its clone are used
        let (first, second) = (*client, *clone);
        // THEN it was made once, and both use that one
        assert_eq!((first, second, MADE.load(Ordering::SeqCst)), (1, 1, 1));
        assert!(format!("{clone:?}").contains("(made)"));
    }
}
