//! End to end through the real runtime: the `bootstrap` binary against a Lambda Runtime API
//! stand-in on 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::collections::VecDeque;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{fixture, policy_allows};
use scopegate_testkit::fixtures::{A0_AUD, A0_ISS, Rule, a0b, auth0_issuer, jwks_inline, keys, routes};
use scopegate_testkit::{TestKey, TokenBuilder, jwks, now};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// What the function posted back: `(request id, "response" | "error", body)`.
type Posted = (String, String, Value);

struct RuntimeApi {
    port: u16,
    events: Arc<Mutex<VecDeque<Value>>>,
    posted: mpsc::UnboundedReceiver<Posted>,
}

impl RuntimeApi {
    async fn start() -> RuntimeApi {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let events: Arc<Mutex<VecDeque<Value>>> = Arc::default();
        let (tx, posted) = mpsc::unbounded_channel();
        let queue = Arc::clone(&events);
        tokio::spawn(async move {
            let counter = Arc::new(Mutex::new(0u32));
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                tokio::spawn(serve(stream, Arc::clone(&queue), tx.clone(), Arc::clone(&counter)));
            }
        });
        RuntimeApi { port, events, posted }
    }

    async fn invoke(&mut self, event: Value) -> Posted {
        self.events.lock().unwrap().push_back(event);
        tokio::time::timeout(Duration::from_secs(60), self.posted.recv())
            .await
            .expect("the function answered in time")
            .expect("runtime stand-in alive")
    }
}

async fn serve(
    stream: TcpStream,
    queue: Arc<Mutex<VecDeque<Value>>>,
    tx: mpsc::UnboundedSender<Posted>,
    counter: Arc<Mutex<u32>>,
) {
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let (method, path) = (
            parts.next().unwrap_or("").to_string(),
            parts.next().unwrap_or("").to_string(),
        );
        let mut length = 0usize;
        let mut chunked = false;
        loop {
            let mut h = String::new();
            reader.read_line(&mut h).await.unwrap();
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            let (name, value) = h.split_once(':').unwrap();
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.trim().parse().unwrap(),
                "transfer-encoding" => chunked = value.to_ascii_lowercase().contains("chunked"),
                _ => {}
            }
        }
        let mut body = Vec::new();
        if chunked {
            loop {
                let mut size = String::new();
                reader.read_line(&mut size).await.unwrap();
                let size = usize::from_str_radix(size.trim(), 16).unwrap();
                let mut chunk = vec![0; size + 2];
                reader.read_exact(&mut chunk).await.unwrap();
                if size == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..size]);
            }
        } else {
            body.resize(length, 0);
            reader.read_exact(&mut body).await.unwrap();
        }
        if method == "GET" && path.ends_with("/runtime/invocation/next") {
            // Wait for an event; never answer without one (the runtime panics on an empty id).
            let event = loop {
                if let Some(e) = queue.lock().unwrap().pop_front() {
                    break e;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            };
            let id = {
                let mut c = counter.lock().unwrap();
                *c += 1;
                format!("req-{c}")
            };
            let deadline = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() + 60_000;
            let payload = event.to_string();
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: {id}\r\nLambda-Runtime-Deadline-Ms: {deadline}\r\nLambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:authorizer\r\nContent-Length: {}\r\n\r\n",
                payload.len()
            );
            let w = reader.get_mut();
            w.write_all(head.as_bytes()).await.unwrap();
            w.write_all(payload.as_bytes()).await.unwrap();
        } else {
            let segments: Vec<&str> = path.split('/').collect();
            let kind = segments.last().copied().unwrap_or("").to_string();
            let id = segments
                .get(segments.len().saturating_sub(2))
                .copied()
                .unwrap_or("")
                .to_string();
            let value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            tx.send((id, kind, value)).ok();
            reader
                .get_mut()
                .write_all(b"HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{}")
                .await
                .unwrap();
        }
    }
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

fn bootstrap(port: Option<u16>, envs: &[(&str, &str)]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_bootstrap"));
    c.env_remove("SCOPEGATE_POLICY")
        .env_remove("SCOPEGATE_POLICY_JSON")
        .env("AWS_LAMBDA_FUNCTION_NAME", "authorizer")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "test")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "test")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(p) = port {
        c.env("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{p}"));
    }
    for (k, v) in envs {
        c.env(k, v);
    }
    c
}

fn policy(key: &TestKey) -> String {
    format!(
        "version = 1\n{}{}",
        auth0_issuer(&[&jwks_inline(&[key])]),
        routes(&[
            ("GET /request", Rule::Scopes(&["read:request"])),
            ("GET /pets/{id}", Rule::Authenticated),
        ])
    )
}

fn token(key: &TestKey, scope: &str) -> String {
    a0b(json!({"iss": A0_ISS, "aud": A0_AUD, "sub": "auth0|e2e", "exp": now() + 600, "scope": scope})).sign(key)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bootstrap_answers_through_the_runtime_api() {
    let key = &keys().auth0;
    let dir = std::env::temp_dir().join(format!("scopegate-lambda-e2e-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("policy.toml");
    std::fs::write(&file, policy(key)).unwrap();

    let mut api = RuntimeApi::start().await;
    let _child = Killed(
        bootstrap(
            Some(api.port),
            &[
                ("SCOPEGATE_POLICY", file.to_str().unwrap()),
                ("SCOPEGATE_WARM_KEYS", "1"),
            ],
        )
        .spawn()
        .unwrap(),
    );
    let arn = "arn:aws:execute-api:us-east-1:123456789012:s4x3opwd6i/test/GET/request";

    // REST TOKEN, allowed: a cache-safe Allow covering this ARN and GET /pets/{id}.
    let mut e = fixture("example-apigw-custom-auth-request.json");
    e["authorizationToken"] = json!(format!("Bearer {}", token(key, "read:request")));
    e["methodArn"] = json!(arn);
    let (id, kind, body) = api.invoke(e.clone()).await;
    assert_eq!((id.as_str(), kind.as_str()), ("req-1", "response"), "{body}");
    assert!(policy_allows(&body, arn), "{body}");
    assert!(policy_allows(
        &body,
        "arn:aws:execute-api:us-east-1:123456789012:s4x3opwd6i/test/GET/pets/9"
    ));
    assert_eq!(body["principalId"], "auth0|e2e");
    assert_eq!(body["context"]["scopes"], "read:request");

    // REST TOKEN, bad token: the error `Unauthorized`.
    e["authorizationToken"] = json!("Bearer nope");
    let (_, kind, body) = api.invoke(e).await;
    assert_eq!(kind, "error");
    assert_eq!(body["errorMessage"], "Unauthorized", "{body}");

    // REST REQUEST, valid token without the scope: Deny (403).
    let mut e = fixture("example-apigw-custom-auth-request-type-request.json");
    let t = token(key, "openid");
    e["headers"]["Authorization"] = json!(format!("Bearer {t}"));
    e["multiValueHeaders"]["Authorization"] = json!([format!("Bearer {t}")]);
    let (_, kind, body) = api.invoke(e).await;
    assert_eq!(kind, "response");
    assert!(!policy_allows(&body, arn), "{body}");

    // HTTP API 2.0, allowed.
    let mut e = fixture("example-apigw-v2-custom-authorizer-v2-request.json");
    e["rawPath"] = json!("/pets/3");
    e["requestContext"]["http"]["method"] = json!("GET");
    e["routeArn"] = json!("arn:aws:execute-api:us-east-1:123456789012:abcdef123/$default/GET/pets/3");
    e["headers"]["authorization"] = json!(format!("Bearer {}", token(key, "")));
    let (_, kind, body) = api.invoke(e).await;
    assert_eq!(kind, "response");
    assert!(policy_allows(
        &body,
        "arn:aws:execute-api:us-east-1:123456789012:abcdef123/$default/GET/pets/3"
    ));

    // Not an authorizer event: an error other than Unauthorized (500 at API Gateway).
    let (_, kind, body) = api.invoke(json!({"hello": "world"})).await;
    assert_eq!(kind, "error");
    assert_ne!(body["errorMessage"], "Unauthorized");
    // The child is killed on drop: there is no way to stop the runtime loop cleanly.
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bootstrap_reads_an_inline_json_policy() {
    let key = TestKey::es256("e1");
    let json_policy = json!({
        "version": 1,
        "lambda": {"event": "token", "policy_resources": "method-arn"},
        "issuers": [{"id": "g", "issuer": "https://idp.example", "audiences": ["api"], "jwks": jwks(&[&key]).to_string()}],
        "routes": [{"route": "GET /x", "require": "authenticated"}]
    });
    let mut api = RuntimeApi::start().await;
    let _child = Killed(
        bootstrap(Some(api.port), &[("SCOPEGATE_POLICY_JSON", &json_policy.to_string())])
            .spawn()
            .unwrap(),
    );
    let t = TokenBuilder::new(json!({"iss": "https://idp.example", "aud": "api", "sub": "s", "exp": now() + 60}))
        .sign(&key);
    let arn = "arn:aws:execute-api:us-east-1:1:a/prod/GET/x";
    let (_, kind, body) = api.invoke(json!({"authorizationToken": t, "methodArn": arn})).await;
    assert_eq!(kind, "response", "{body}");
    assert_eq!(body["policyDocument"]["Statement"][0]["Resource"], json!([arn]));
}

#[test]
fn bootstrap_without_a_policy_exits_with_an_error() {
    let out = bootstrap(None, &[]).stdout(Stdio::piped()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    // One JSON log line naming the two variables.
    let log: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(log["level"], "ERROR");
    assert!(
        log["fields"]["error"]
            .as_str()
            .unwrap()
            .contains("SCOPEGATE_POLICY_JSON"),
        "{log}"
    );
}

/// `SCOPEGATE_EMF=1`: every invocation leaves Embedded Metric Format lines on stdout, with the
/// adapter's event counter (by shape and outcome) and the request id, and never the token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bootstrap_writes_embedded_metric_format_lines_when_asked() {
    let key = &keys().auth0;
    let dir = std::env::temp_dir().join(format!("scopegate-lambda-emf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("policy.toml");
    std::fs::write(&file, policy(key)).unwrap();
    let mut api = RuntimeApi::start().await;
    let mut child = Killed(
        bootstrap(
            Some(api.port),
            &[
                ("SCOPEGATE_POLICY", file.to_str().unwrap()),
                ("SCOPEGATE_EMF", "1"),
                ("SCOPEGATE_EMF_NAMESPACE", "authz"),
            ],
        )
        .stdout(Stdio::piped())
        .spawn()
        .unwrap(),
    );
    let arn = "arn:aws:execute-api:us-east-1:123456789012:s4x3opwd6i/test/GET/request";
    let good = token(key, "read:request");
    let event = |t: &str| json!({"type": "TOKEN", "authorizationToken": format!("Bearer {t}"), "methodArn": arn});
    assert_eq!(api.invoke(event(&good)).await.1, "response");
    assert_eq!(api.invoke(event("nope")).await.1, "error");
    assert_eq!(api.invoke(event(&token(key, "openid"))).await.1, "response");
    child.0.kill().unwrap();
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.0.stdout.take().unwrap(), &mut out).unwrap();
    assert!(!out.contains(&good), "the token never reaches stdout");

    let docs: Vec<Value> = out
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|d| d.get("_aws").is_some())
        .collect();
    let counted = |request: &str, outcome: &str| {
        docs.iter().any(|d| {
            d["RequestId"] == request
                && d["outcome"] == outcome
                && d["event"] == "token"
                && d["function"] == "authorizer"
                && d["scopegate_lambda_events_total"] == 1
                && d["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "authz"
        })
    };
    assert!(counted("req-1", "allow"), "{out}");
    assert!(counted("req-2", "unauthorized"), "{out}");
    assert!(counted("req-3", "deny"), "{out}");
    // The core's metrics go through the same recorder (installed before the policy compiled).
    let decided = |request: &str, decision: &str, reason: &str| {
        docs.iter().any(|d| {
            d["RequestId"] == request
                && d["decision"] == decision
                && d["reason"] == reason
                && d["scopegate_decisions_total"] == 1
        })
    };
    assert!(decided("req-1", "allowed", "allowed"), "{out}");
    assert!(decided("req-2", "unauthorized", "malformed_token"), "{out}");
    assert!(decided("req-3", "forbidden", "insufficient_scope"), "{out}");
    // Counters are per flush: the allow of req-1 is not counted again in req-2's lines.
    assert!(
        !docs
            .iter()
            .any(|d| d["RequestId"] == "req-2" && d["outcome"] == "allow" && d["scopegate_lambda_events_total"] != 0)
    );
}
