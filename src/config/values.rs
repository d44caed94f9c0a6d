//! The value types of settings that are more than a string: profiles, SMTP security, proxy
//! headers, address ranges and durations.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// Embedded stand-ins for every outside service, SQLite, synthetic demo data.
    Local,
    /// Real outside services, PostgreSQL, test endpoints off.
    Production,
}

impl FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "local" => Ok(Profile::Local),
            "production" => Ok(Profile::Production),
            other => Err(format!(
                "unknown profile '{other}': use 'local' or 'production'"
            )),
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Profile::Local => "local",
            Profile::Production => "production",
        })
    }
}

/// The header a trusted reverse proxy names the client in. Only that one is read: a proxy
/// passes the other one on from the client unchanged, so it could be forged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProxyHeaders {
    /// `X-Forwarded-For: client, proxy1`
    #[default]
    XForwarded,
    /// `Forwarded: for=client;proto=https, for=proxy1` (RFC 7239)
    Forwarded,
}

impl FromStr for ProxyHeaders {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "xforwarded" => Ok(ProxyHeaders::XForwarded),
            "forwarded" => Ok(ProxyHeaders::Forwarded),
            other => Err(format!(
                "'{other}' is not xforwarded (X-Forwarded-For) or forwarded (RFC 7239 Forwarded)"
            )),
        }
    }
}

impl fmt::Display for ProxyHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ProxyHeaders::XForwarded => "xforwarded",
            ProxyHeaders::Forwarded => "forwarded",
        })
    }
}

/// How tilgang talks to the SMTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (refused when the server does not offer it).
    StartTls,
    /// TLS from the first byte (SMTPS).
    Tls,
    /// No encryption (a local relay or a test sink only).
    None,
}

impl FromStr for SmtpSecurity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "starttls" => Ok(SmtpSecurity::StartTls),
            "tls" => Ok(SmtpSecurity::Tls),
            "none" => Ok(SmtpSecurity::None),
            other => Err(format!(
                "unknown SMTP security '{other}': use starttls, tls or none"
            )),
        }
    }
}

impl fmt::Display for SmtpSecurity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SmtpSecurity::StartTls => "starttls",
            SmtpSecurity::Tls => "tls",
            SmtpSecurity::None => "none",
        })
    }
}

/// An IP address or a range of them in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressRange {
    addr: std::net::IpAddr,
    prefix: u8,
}

impl AddressRange {
    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        use std::net::IpAddr::{V4, V6};
        let (net, ip, bits) = match (self.addr, ip) {
            (V4(n), V4(i)) => (u128::from(u32::from(n)), u128::from(u32::from(i)), 32),
            (V6(n), V6(i)) => (u128::from(n), u128::from(i), 128),
            (V6(n), V4(i)) => match n.to_ipv4_mapped() {
                Some(n) => (u128::from(u32::from(n)), u128::from(u32::from(i)), 32),
                None => return false,
            },
            (V4(n), V6(i)) => match i.to_ipv4_mapped() {
                Some(i) => (u128::from(u32::from(n)), u128::from(u32::from(i)), 32),
                None => return false,
            },
        };
        let prefix = u32::from(self.prefix.min(bits));
        let shift = u32::from(bits) - prefix;
        shift >= 128 || (net >> shift) == (ip >> shift)
    }
}

impl FromStr for AddressRange {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p.parse::<u8>().map_err(|_| ())?)),
            None => (s, None),
        };
        let addr: std::net::IpAddr = addr.parse().map_err(|_| ())?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        if prefix > max {
            return Err(());
        }
        Ok(Self { addr, prefix })
    }
}

impl fmt::Display for AddressRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let max = if self.addr.is_ipv4() { 32 } else { 128 };
        if self.prefix == max {
            write!(f, "{}", self.addr)
        } else {
            write!(f, "{}/{}", self.addr, self.prefix)
        }
    }
}

/// Parses `10d`, `12h`, `30m`, `90s` (or a plain number of seconds).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (number, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = number
        .parse()
        .map_err(|_| format!("'{s}' is not a duration such as 10d, 12h, 30m or 90s"))?;
    let secs = match unit {
        "" | "s" => Some(n),
        "m" => n.checked_mul(60),
        "h" => n.checked_mul(3600),
        "d" => n.checked_mul(86_400),
        _ => return Err(format!("'{s}' has an unknown unit; use d, h, m or s")),
    };
    match secs {
        Some(0) => Err("a duration must be longer than zero".into()),
        Some(secs) => Ok(Duration::from_secs(secs)),
        None => Err(format!("'{s}' is too long")),
    }
}

pub fn format_duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}
