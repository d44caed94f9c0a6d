//! Gitea's list paging (`?page=` from 1, `?limit=`), with the total in `X-Total-Count` and the
//! other pages in `Link` (RFC 8288), as generated Gitea SDKs read them.

use axum::Json;
use axum::http::{HeaderValue, Uri};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::http::AppState;

/// Gitea's default page size (`DEFAULT_PAGING_NUM`) and largest (`MAX_RESPONSE_ITEMS`).
pub const DEFAULT_LIMIT: usize = 30;
pub const MAX_LIMIT: usize = 50;

/// `?page=&limit=`; as in Gitea, a missing, malformed or out-of-range value gets the default
/// (page 1; a limit above the largest gets the largest).
#[derive(Debug, Default, Deserialize)]
pub struct ListOptions {
    page: Option<String>,
    limit: Option<String>,
}

impl ListOptions {
    fn page(&self) -> usize {
        self.page
            .as_deref()
            .and_then(|p| p.trim().parse::<usize>().ok())
            .filter(|p| *p > 0)
            .unwrap_or(1)
    }

    fn limit(&self) -> usize {
        self.limit
            .as_deref()
            .and_then(|l| l.trim().parse::<usize>().ok())
            .filter(|l| *l > 0)
            .map_or(DEFAULT_LIMIT, |l| l.min(MAX_LIMIT))
    }

    /// The page of `items` this asks for, as a JSON array with `X-Total-Count` and `Link`.
    pub fn respond<T: Serialize>(&self, state: &AppState, uri: &Uri, items: Vec<T>) -> Response {
        self.respond_in(state, uri, items, |page| page)
    }

    /// As [`ListOptions::respond`], with the page inside the body `wrap` makes of it (Gitea's
    /// search answers `{"ok": true, "data": […]}`).
    pub fn respond_in<T, B: Serialize>(
        &self,
        state: &AppState,
        uri: &Uri,
        items: Vec<T>,
        wrap: impl FnOnce(Vec<T>) -> B,
    ) -> Response {
        let (page, limit, total) = (self.page(), self.limit(), items.len());
        let last = total.div_ceil(limit).max(1);
        let shown: Vec<T> = items
            .into_iter()
            .skip((page - 1).saturating_mul(limit))
            .take(limit)
            .collect();
        let base = state.app.config.url(uri.path());
        // Other parameters (a search's `q`) stay in the links.
        let kept: String = uri
            .query()
            .unwrap_or_default()
            .split('&')
            .filter(|kv| !kv.is_empty() && !kv.starts_with("page=") && !kv.starts_with("limit="))
            .map(|kv| format!("{kv}&"))
            .collect();
        let link =
            |p: usize, rel: &str| format!("<{base}?{kept}limit={limit}&page={p}>; rel=\"{rel}\"");
        let mut links = Vec::new();
        if page < last {
            links.push(link(page + 1, "next"));
            links.push(link(last, "last"));
        }
        if page > 1 {
            links.push(link(1, "first"));
            links.push(link((page - 1).min(last), "prev"));
        }
        let mut response = Json(wrap(shown)).into_response();
        let headers = response.headers_mut();
        headers.insert("x-total-count", HeaderValue::from(total));
        if !links.is_empty()
            && let Ok(v) = HeaderValue::from_str(&links.join(","))
        {
            headers.insert(axum::http::header::LINK, v);
        }
        response
    }
}
