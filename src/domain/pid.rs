use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{ascii_digits, mod11_check_digit};

/// A Norwegian national identity number (fødselsnummer), D-number or H-number:
/// `DD MM YY III K1 K2`, with both mod-11 check digits verified.
///
/// Synthetic numbers (Skatteetaten's Tenor test data) add 80 to the month; D-numbers add 40 to
/// the day; H-numbers add 40 to the month.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pid(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PidError {
    #[error("a national identity number has exactly 11 digits")]
    Format,
    #[error("the national identity number does not start with a valid date")]
    Date,
    #[error("the check digits of the national identity number are wrong")]
    CheckDigit,
}

const K1_WEIGHTS: [u32; 9] = [3, 7, 6, 1, 8, 9, 4, 5, 2];
const K2_WEIGHTS: [u32; 10] = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];

impl Pid {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn day_field(&self) -> u8 {
        two_digits(&self.0[0..2])
    }

    fn month_field(&self) -> u8 {
        two_digits(&self.0[2..4])
    }

    /// A Tenor synthetic test identity (month + 80). Only these are used in test instances.
    pub fn is_synthetic(&self) -> bool {
        self.month_field() > 80
    }

    /// A D-number (day + 40), given to people without a Norwegian birth number.
    pub fn is_d_number(&self) -> bool {
        self.day_field() > 40
    }

    /// An H-number (month + 40), an auxiliary number used in health services.
    pub fn is_h_number(&self) -> bool {
        (41..=52).contains(&self.month_field())
    }

    /// This identifier with the last five digits hidden, for logs.
    pub fn masked(&self) -> String {
        format!("{}*****", &self.0[..6])
    }
}

fn two_digits(s: &str) -> u8 {
    s.bytes().fold(0, |acc, b| acc * 10 + (b - b'0'))
}

impl FromStr for Pid {
    type Err = PidError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits = ascii_digits(s, 11).ok_or(PidError::Format)?;
        let day = digits[0] * 10 + digits[1];
        let month = digits[2] * 10 + digits[3];
        let day = if day > 40 { day - 40 } else { day };
        let month = match month {
            81..=92 => month - 80,
            41..=52 => month - 40,
            m => m,
        };
        if !(1..=31).contains(&day) || !(1..=12).contains(&month) {
            return Err(PidError::Date);
        }
        let k1 = mod11_check_digit(&digits[..9], &K1_WEIGHTS);
        let k2 = mod11_check_digit(&digits[..10], &K2_WEIGHTS);
        if k1 != Some(digits[9]) || k2 != Some(digits[10]) {
            return Err(PidError::CheckDigit);
        }
        Ok(Self(s.to_owned()))
    }
}

impl fmt::Display for Pid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Debug output masks the number so that it cannot leak into logs by accident.
impl fmt::Debug for Pid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pid({})", self.masked())
    }
}

impl Serialize for Pid {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Pid {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_synthetic_numbers_from_the_reference_tests() {
        let p: Pid = "01818520030".parse().unwrap();
        assert!(p.is_synthetic());
        assert!(!p.is_d_number());
        let d: Pid = "41818520024".parse().unwrap();
        assert!(d.is_synthetic());
        assert!(d.is_d_number());
    }

    #[test]
    fn recognises_real_looking_numbers_as_not_synthetic() {
        // 01018512345-style real number with valid check digits, built from the rule.
        let p: Pid = real_number("010185123");
        assert!(!p.is_synthetic());
        assert!(!p.is_h_number());
        let h: Pid = real_number("014185123");
        assert!(h.is_h_number());
        assert!(!h.is_synthetic());
    }

    fn real_number(first9: &str) -> Pid {
        let mut digits: Vec<u8> = first9.bytes().map(|b| b - b'0').collect();
        let k1 = mod11_check_digit(&digits, &K1_WEIGHTS).unwrap();
        digits.push(k1);
        let k2 = mod11_check_digit(&digits, &K2_WEIGHTS).unwrap();
        digits.push(k2);
        let s: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
        s.parse().unwrap()
    }

    #[test]
    fn rejects_bad_check_digits() {
        for n in ["01818520031", "01818520020", "41818520025", "01018520030"] {
            assert_eq!(n.parse::<Pid>(), Err(PidError::CheckDigit), "{n}");
        }
    }

    #[test]
    fn rejects_impossible_dates() {
        // month 80 and 93, day 00 and 32, D-number day 72
        for n in [
            "01808520030",
            "01938520030",
            "00818520030",
            "32818520030",
            "72818520030",
        ] {
            assert_eq!(n.parse::<Pid>(), Err(PidError::Date), "{n}");
        }
    }

    #[test]
    fn rejects_wrong_format() {
        for n in [
            "",
            "0181852003",
            "018185200300",
            "0181852003x",
            "01818 20030",
        ] {
            assert_eq!(n.parse::<Pid>(), Err(PidError::Format), "{n:?}");
        }
    }

    #[test]
    fn debug_output_is_masked() {
        let p: Pid = "01818520030".parse().unwrap();
        assert_eq!(format!("{p:?}"), "Pid(018185*****)");
    }
}
