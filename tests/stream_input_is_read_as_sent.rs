//! A stream is read only as far as the requests in flight need: the client never collects the
//! whole input before sending.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::*;
use futures::StreamExt;
use httpmock::{Method::POST, MockServer};
use jira_operations::SubmitOptions;
use serde_json::json;

async fn pulled_when_each_request_arrived(concurrency: usize) -> (Vec<usize>, usize) {
    let server = MockServer::start_async().await;
    let pulled = Arc::new(AtomicUsize::new(0));
    let seen_pulled = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (counter, record) = (pulled.clone(), seen_pulled.clone());
    let (_mock, _log) = responder(&server, POST, "/rest/operations/1.0/bulk", move |seen| {
        record.lock().unwrap().push(counter.load(Ordering::SeqCst));
        json(202, json!({"acceptedIncidents": seen.ids("incidents")}))
    })
    .await;
    let counter = pulled.clone();
    let input = futures::stream::iter(0..100)
        .inspect(move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
        })
        .map(|i| incident(&format!("INC-{i}")));
    let options = SubmitOptions::default()
        .max_entities_per_request(10)
        .concurrency(concurrency);

    let report = client(&server)
        .submit_incidents_stream(input, &options)
        .await;
    assert_eq!(report.accepted.len(), 100);
    let at_arrival = seen_pulled.lock().unwrap().clone();
    (at_arrival, report.total())
}

#[tokio::test(start_paused = true)]
async fn with_one_request_in_flight_at_most_one_request_ahead_is_read() {
    let (pulled, total) = pulled_when_each_request_arrived(1).await;

    assert_eq!(total, 100);
    assert_eq!(pulled.len(), 10);
    for (k, pulled) in pulled.iter().enumerate() {
        // Request k+1 holds records up to 10(k+1); the record after it closed the request.
        assert!(
            *pulled <= 10 * (k + 1) + 1,
            "request {}: {pulled} read",
            k + 1
        );
    }
}

#[tokio::test(start_paused = true)]
async fn reading_ahead_is_bounded_by_the_concurrency() {
    let (pulled, _) = pulled_when_each_request_arrived(3).await;

    assert_eq!(pulled.len(), 10);
    assert!(pulled[0] <= 3 * 10 + 1, "{pulled:?}");
}
