use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{ascii_digits, mod11_check_digit};

/// A Norwegian organisation number: nine digits whose last digit is a mod-11 check digit over
/// the first eight with weights 3,2,7,6,5,4,3,2.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrgNumber(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrgNumberError {
    #[error("an organisation number has exactly 9 digits")]
    Format,
    #[error("the check digit of the organisation number is wrong")]
    CheckDigit,
}

const WEIGHTS: [u32; 8] = [3, 2, 7, 6, 5, 4, 3, 2];

impl OrgNumber {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for OrgNumber {
    type Err = OrgNumberError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits = ascii_digits(s, 9).ok_or(OrgNumberError::Format)?;
        match mod11_check_digit(&digits[..8], &WEIGHTS) {
            Some(check) if check == digits[8] => Ok(Self(s.to_owned())),
            _ => Err(OrgNumberError::CheckDigit),
        }
    }
}

impl fmt::Display for OrgNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for OrgNumber {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for OrgNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_known_valid_numbers() {
        for n in [
            "910493353",
            "313872076",
            "991825827",
            "974760673",
            "310000000",
        ] {
            let parsed: Result<OrgNumber, _> = n.parse();
            assert!(parsed.is_ok(), "{n} should be valid: {parsed:?}");
        }
    }

    #[test]
    fn rejects_wrong_check_digit() {
        for n in ["910493354", "313872077", "991825820"] {
            assert_eq!(
                n.parse::<OrgNumber>(),
                Err(OrgNumberError::CheckDigit),
                "{n}"
            );
        }
    }

    #[test]
    fn rejects_numbers_whose_check_digit_would_be_ten() {
        // 1,0,0,0,0,0,3,0 weighted: 3 + 3·3 = 12; 12 mod 11 = 1, so 11 − 1 = 10: no valid digit.
        for last in 0..=9 {
            let n = format!("10000030{last}");
            assert_eq!(
                n.parse::<OrgNumber>(),
                Err(OrgNumberError::CheckDigit),
                "{n}"
            );
        }
    }

    #[test]
    fn rejects_wrong_format() {
        for n in [
            "",
            "91049335",
            "9104933533",
            "91049335a",
            " 910493353",
            "９10493353",
        ] {
            assert_eq!(n.parse::<OrgNumber>(), Err(OrgNumberError::Format), "{n:?}");
        }
    }

    #[test]
    fn serde_round_trip_and_rejection() {
        let n: OrgNumber = serde_json::from_str("\"910493353\"").unwrap();
        assert_eq!(serde_json::to_string(&n).unwrap(), "\"910493353\"");
        assert!(serde_json::from_str::<OrgNumber>("\"910493354\"").is_err());
    }
}
