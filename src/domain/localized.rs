use serde::{Deserialize, Serialize};

/// A text in Norwegian bokmål, nynorsk and English. Bokmål is required; the others fall back
/// to it when missing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
pub struct Localized {
    pub nb: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub en: Option<String>,
}

impl Localized {
    /// The text in `lang` ("nb", "nn" or "en"), falling back to bokmål.
    pub fn get(&self, lang: &str) -> &str {
        let chosen = match lang {
            "nn" => self.nn.as_deref(),
            "en" => self.en.as_deref(),
            _ => None,
        };
        chosen.filter(|s| !s.is_empty()).unwrap_or(&self.nb)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn falls_back_to_bokmal() {
        let l = Localized {
            nb: "Hei".into(),
            nn: None,
            en: Some(String::new()),
        };
        assert_eq!(l.get("en"), "Hei");
        assert_eq!(l.get("nn"), "Hei");
        assert_eq!(l.get("xx"), "Hei");
        let l = Localized {
            nb: "Hei".into(),
            nn: Some("Hei du".into()),
            en: Some("Hello".into()),
        };
        assert_eq!(l.get("en"), "Hello");
        assert_eq!(l.get("nn"), "Hei du");
    }
}
