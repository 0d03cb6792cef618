//! `AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH` changes what `lambda_http` puts
//! in the URI, but not what the Router sees. Alone in its test binary: it
//! sets a process-wide variable.

use axum::Router;
use bytes::Bytes;
use http::Request;
use http_lambda::PaymentsFunction;
use payments_tests::lambda_events::{send, BodyEncoding, Shape};

#[tokio::test]
async fn the_router_sees_the_same_path_whether_or_not_the_setting_is_made() {
    let function = PaymentsFunction::new(
        Router::new().fallback(|uri: http::Uri| async move { uri.path().to_owned() }),
    );
    let request = || {
        Request::get("/v1/payments")
            .body(Bytes::new())
            .expect("a request")
    };
    let mut seen = Vec::new();
    for setting in [None, Some("true")] {
        if let Some(value) = setting {
            std::env::set_var("AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH", value);
        }
        for shape in [Shape::RestV1, Shape::HttpV2] {
            let response = send(&function, shape, BodyEncoding::Text, request()).await;
            seen.push((setting, shape, response.into_body()));
        }
    }
    for (setting, shape, path) in seen {
        assert_eq!(
            path, "/v1/payments",
            "{shape:?} with the setting {setting:?}"
        );
    }
}
