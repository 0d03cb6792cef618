//! Paging query parameters (`page[size]`, `page[after]`, `sort`) and the
//! opaque cursors in `links.next`, for payment listings and histories.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use payments_domain::{PaymentId, Timestamp, Version};
use payments_ports::{
    HistoryPage, HistoryRequest, ListOrder, Page, PageCursor, PageRequest, PageSize,
};

use crate::errors;
use crate::filters::{Filters, Names};
use crate::keys::Caller;
use crate::ApiState;
use serde::Serialize;

use crate::problem::Problem;

pub(crate) const PAGE_SIZE: &str = "page[size]";
pub(crate) const PAGE_AFTER: &str = "page[after]";
pub(crate) const SORT: &str = "sort";
const CURSOR_VERSION: &str = "p1";
/// The prefix of history cursors, so a listing's cursor is not taken for a
/// history's or the other way round.
const HISTORY_CURSOR: &str = "e1";

/// The instants a listing cursor may hold: years 1 to 9999, what an RFC
/// 3339 timestamp can write and every store can hold (PostgreSQL's range
/// ends at 4713 BC). The clock gives nothing outside it, so a cursor
/// outside it was not issued here.
const CURSOR_MICROS: std::ops::RangeInclusive<i64> =
    -62_135_596_800_000_000..=253_402_300_799_999_999;

/// Encodes a page position as an opaque token. Clients must treat it as
/// opaque; it is validated when it comes back, so a damaged token is a 400,
/// and it cannot reach another organisation's payments because every
/// listing is scoped by the API key.
pub fn encode_cursor(cursor: &PageCursor) -> String {
    let plain = format!(
        "{CURSOR_VERSION}.{}.{}",
        cursor.created_on.unix_micros(),
        cursor.id.as_uuid().simple()
    );
    URL_SAFE_NO_PAD.encode(plain)
}

/// Reads a token made by [`encode_cursor`].
///
/// # Errors
/// A 400 problem when the token was not made by this API.
pub fn decode_cursor(token: &str) -> Result<PageCursor, Problem> {
    let plain = decode_token(token)?;
    let mut parts = plain.split('.');
    let (Some(CURSOR_VERSION), Some(micros), Some(id), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid_cursor());
    };
    let created_on = micros
        .parse::<i64>()
        .ok()
        .filter(|m| CURSOR_MICROS.contains(m))
        .and_then(|m| Timestamp::from_unix_micros(m).ok())
        .ok_or_else(invalid_cursor)?;
    let id = PaymentId::from_uuid(uuid::Uuid::try_parse(id).map_err(|_| invalid_cursor())?);
    Ok(PageCursor { created_on, id })
}

/// Encodes a position in a payment's history (the version the next page
/// starts after) as an opaque token, like [`encode_cursor`].
pub fn encode_history_cursor(after: Version) -> String {
    URL_SAFE_NO_PAD.encode(format!("{HISTORY_CURSOR}.{}", after.number()))
}

/// Reads a token made by [`encode_history_cursor`].
///
/// # Errors
/// A 400 problem when the token was not made by this API.
pub fn decode_history_cursor(token: &str) -> Result<Version, Problem> {
    let number = decode_token(token)?
        .strip_prefix(HISTORY_CURSOR)
        .and_then(|rest| rest.strip_prefix('.'))
        .filter(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|digits| digits.parse::<u64>().ok())
        .ok_or_else(invalid_cursor)?;
    Ok(Version::new(number))
}

/// The 400 of a `page[after]` this API did not issue.
fn invalid_cursor() -> Problem {
    Problem::bad_request(format!("{PAGE_AFTER} is not a cursor this API issued"))
}

/// The text inside a cursor token.
fn decode_token(token: &str) -> Result<String, Problem> {
    let plain = URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| invalid_cursor())?;
    String::from_utf8(plain).map_err(|_| invalid_cursor())
}

fn page_size(value: &str) -> Result<PageSize, Problem> {
    value
        .parse::<u64>()
        .map_err(|_| format!("must be a whole number, got {value:?}"))
        .and_then(PageSize::new)
        .map_err(|message| Problem::bad_request(format!("{PAGE_SIZE} {message}")))
}

/// The page of history asked for by a query string.
///
/// # Errors
/// A 400 problem naming the parameter that is unknown or out of range.
pub fn history_request(query: Option<&str>) -> Result<HistoryRequest, Problem> {
    let mut request = HistoryRequest::first(PageSize::DEFAULT);
    for (name, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        match name.as_ref() {
            PAGE_SIZE => request.size = page_size(&value)?,
            PAGE_AFTER => request.after = Some(decode_history_cursor(&value)?),
            other => {
                return Err(Problem::bad_request(format!(
                "unknown query parameter {other:?}; this route takes {PAGE_SIZE} and {PAGE_AFTER}"
            )))
            }
        }
    }
    Ok(request)
}

/// A listing query: the page and the filters.
#[derive(Debug, Clone)]
pub struct ListQuery {
    /// The page, with the created range of the filters.
    pub request: PageRequest,
    /// The filters, and how the client wrote them.
    pub filters: Filters,
}

/// The listing asked for by a query string, on a route whose filters go
/// by `names`.
///
/// # Errors
/// A 400 problem naming the parameter that is unknown or out of range.
pub fn list_query(query: Option<&str>, names: Names) -> Result<ListQuery, Problem> {
    let mut request = PageRequest::first(PageSize::DEFAULT);
    let mut filters = Filters::default();
    for (name, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        match name.as_ref() {
            PAGE_SIZE => request.size = page_size(&value)?,
            PAGE_AFTER => request.after = Some(decode_cursor(&value)?),
            SORT => {
                request.order = match value.as_ref() {
                    "created_on" => ListOrder::OldestFirst,
                    "-created_on" => ListOrder::NewestFirst,
                    _ => {
                        return Err(Problem::bad_request(format!(
                            "{SORT} must be created_on (oldest first) or -created_on (newest first), got {value:?}"
                        )))
                    }
                }
            }
            other => {
                if !filters.take(names, other, &value)? {
                    return Err(Problem::bad_request(format!(
                        "unknown query parameter {other:?}; this route takes {PAGE_SIZE}, {PAGE_AFTER}, {SORT} and filter[...]"
                    )));
                }
            }
        }
    }
    request.created = filters.created;
    Ok(ListQuery { request, filters })
}

/// The page a list request's query asks for, read for the caller; with the
/// query, to build the links. A `filter[organisation_id]` other than the
/// caller's finds nothing, like any other filter that matches nothing:
/// whether that organisation exists is not the caller's business.
///
/// # Errors
/// 400 for bad query parameters; the service's failures as problems.
pub async fn fetch(
    state: &ApiState,
    caller: Caller,
    query: Option<&str>,
    names: Names,
) -> Result<(ListQuery, Page), Problem> {
    let query = list_query(query, names)?;
    if query
        .filters
        .names_another_organisation(caller.organisation_id)
    {
        return Ok((query, Page::empty()));
    }
    let page = state
        .service
        .find_payments(
            caller.organisation_id,
            query.request,
            &query.filters.attributes,
        )
        .await
        .map_err(|error| errors::list(&error))?;
    Ok((query, page))
}

/// `links` of a list response.
#[derive(Debug, Serialize)]
pub struct ListLinks {
    /// This page.
    #[serde(rename = "self")]
    pub this: String,
    /// The next page, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// A link to a page at `path`: its size, where it starts (an encoded
/// cursor), for newest-first listings the order, and the filters as the
/// client gave them.
fn link(
    path: &str,
    size: PageSize,
    after: Option<String>,
    newest_first: bool,
    filters: &[(String, String)],
) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair(PAGE_SIZE, &size.get().to_string());
    if let Some(after) = after {
        query.append_pair(PAGE_AFTER, &after);
    }
    if newest_first {
        query.append_pair(SORT, "-created_on");
    }
    for (name, value) in filters {
        query.append_pair(name, value);
    }
    format!("{path}?{}", query.finish())
}

/// The links of `page`, listed at `path` (as the client reaches it) with
/// `query`.
pub fn links(path: &str, query: &ListQuery, page: &Page) -> ListLinks {
    let request = &query.request;
    let newest_first = request.order == ListOrder::NewestFirst;
    let filters = &query.filters.given;
    ListLinks {
        this: link(
            path,
            request.size,
            request.after.as_ref().map(encode_cursor),
            newest_first,
            filters,
        ),
        next: page.next.as_ref().map(|next| {
            link(
                path,
                request.size,
                Some(encode_cursor(next)),
                newest_first,
                filters,
            )
        }),
    }
}

/// The links of a history `page` read at `path` (as the client reaches
/// it) with `request`.
pub fn history_links(path: &str, request: &HistoryRequest, page: &HistoryPage) -> ListLinks {
    ListLinks {
        this: link(
            path,
            request.size,
            request.after.map(encode_history_cursor),
            false,
            &[],
        ),
        next: page.next.map(|next| {
            link(
                path,
                request.size,
                Some(encode_history_cursor(next)),
                false,
                &[],
            )
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_through_their_token() {
        let cursor = PageCursor {
            created_on: Timestamp::parse("2024-08-01T12:34:56.123456Z").unwrap(),
            id: PaymentId::parse("4ee3a8d8-ca7b-4290-a52c-dd5b6165ec43").unwrap(),
        };
        assert_eq!(decode_cursor(&encode_cursor(&cursor)).unwrap(), cursor);
    }

    #[test]
    fn damaged_cursors_are_bad_requests() {
        let good = encode_cursor(&PageCursor {
            created_on: Timestamp::parse("2024-08-01T12:34:56Z").unwrap(),
            id: PaymentId::parse("4ee3a8d8-ca7b-4290-a52c-dd5b6165ec43").unwrap(),
        });
        let cases = [
            "not base64!".to_owned(),
            URL_SAFE_NO_PAD.encode("p1.12.not-a-uuid"),
            URL_SAFE_NO_PAD.encode("p0.12.4ee3a8d8ca7b4290a52cdd5b6165ec43"),
            URL_SAFE_NO_PAD.encode("p1.x.4ee3a8d8ca7b4290a52cdd5b6165ec43"),
            URL_SAFE_NO_PAD.encode("p1.-62135596800000001.4ee3a8d8ca7b4290a52cdd5b6165ec43"),
            URL_SAFE_NO_PAD.encode("p1.253402300800000000.4ee3a8d8ca7b4290a52cdd5b6165ec43"),
            format!("{good}AA"),
        ];
        for token in cases {
            let problem = decode_cursor(&token).unwrap_err();
            assert_eq!(problem.status(), http::StatusCode::BAD_REQUEST, "{token}");
        }
    }

    #[test]
    fn history_cursors_round_trip_and_are_not_listing_cursors() {
        let token = encode_history_cursor(Version::new(9_900));
        assert_eq!(decode_history_cursor(&token).unwrap(), Version::new(9_900));
        let listing = encode_cursor(&PageCursor {
            created_on: Timestamp::parse("2024-08-01T12:34:56Z").unwrap(),
            id: PaymentId::parse("4ee3a8d8-ca7b-4290-a52c-dd5b6165ec43").unwrap(),
        });
        for token in [
            listing,
            URL_SAFE_NO_PAD.encode("e1."),
            URL_SAFE_NO_PAD.encode("e1.-1"),
            URL_SAFE_NO_PAD.encode("e1.+1"),
            URL_SAFE_NO_PAD.encode("e1.99999999999999999999"),
            URL_SAFE_NO_PAD.encode("e2.1"),
        ] {
            let problem = decode_history_cursor(&token).unwrap_err();
            assert_eq!(problem.status(), http::StatusCode::BAD_REQUEST, "{token}");
        }
        assert_eq!(
            history_request(Some("page%5Bsize%5D=100&page%5Bafter%5D=ZTEuMw")).unwrap(),
            HistoryRequest {
                size: PageSize::new(100).unwrap(),
                after: Some(Version::new(3)),
            }
        );
        for bad in [
            "page[size]=0",
            "page[size]=101",
            "sort=-created_on",
            "colour=blue",
        ] {
            assert!(history_request(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn page_parameters_are_checked() {
        assert_eq!(
            list_query(Some("page%5Bsize%5D=100"), Names::Form3)
                .unwrap()
                .request
                .size
                .get(),
            100
        );
        assert_eq!(
            list_query(Some("sort=-created_on"), Names::Form3)
                .unwrap()
                .request
                .order,
            ListOrder::NewestFirst
        );
        for bad in [
            "page[size]=0",
            "page[size]=101",
            "page[size]=ten",
            "sort=amount",
            "colour=blue",
        ] {
            assert!(list_query(Some(bad), Names::Form3).is_err(), "{bad}");
        }
    }
}
