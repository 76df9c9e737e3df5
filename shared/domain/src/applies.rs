//! Whether something still applies. A reminder whose reason went away before it fired (paid,
//! rescheduled, unsubscribed) is a normal ending, not an error, and must not hide inside one.

/// `Yes` with the value, or `No` with why it no longer applies (for the log and the outcome).
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum Applies<T> {
    Yes(T),
    No(String),
}

impl<T> Applies<T> {
    /// The value; panics with the reason when it does not apply. For tests only.
    #[cfg(any(test, feature = "fakes"))]
    #[track_caller]
    pub fn unwrap(self) -> T {
        match self {
            Self::Yes(value) => value,
            Self::No(reason) => panic!("called `Applies::unwrap()` on `No`: {reason}"),
        }
    }

    /// Why it does not apply; panics when it does. For tests only.
    #[cfg(any(test, feature = "fakes"))]
    #[track_caller]
    pub fn unwrap_no(self) -> String {
        match self {
            Self::Yes(_) => panic!("called `Applies::unwrap_no()` on `Yes`"),
            Self::No(reason) => reason,
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Applies<U> {
        match self {
            Self::Yes(value) => Applies::Yes(f(value)),
            Self::No(reason) => Applies::No(reason),
        }
    }
}

/// The value of an `Applies`, or returns `Ok(Applies::No(reason))` from the enclosing function.
macro_rules! applies_or_return {
    ($applies:expr) => {
        match $applies {
            $crate::applies::Applies::Yes(value) => value,
            $crate::applies::Applies::No(reason) => return Ok($crate::applies::Applies::No(reason)),
        }
    };
}
pub(crate) use applies_or_return;

#[cfg(test)]
mod tests {
    use super::*;

    fn halve(n: u32) -> Result<Applies<u32>, String> {
        let even =
            applies_or_return!(if n.is_multiple_of(2) { Applies::Yes(n) } else { Applies::No(format!("{n} is odd")) });
        Ok(Applies::Yes(even / 2))
    }

    #[test]
    fn a_value_that_no_longer_applies_ends_the_function_with_why() {
        assert_eq!(halve(4), Ok(Applies::Yes(2)));
        assert_eq!(halve(3), Ok(Applies::No("3 is odd".into())));
        assert_eq!(Applies::Yes(2).map(|n| n + 1), Applies::Yes(3));
    }
}
