//! `scopegate serve` behind the real gateways (Debian's nginx and Caddy) with the configs of
//! `examples/gateways/` (quoted in the README), in front of an upstream that echoes the headers
//! it received. Skipped only when a gateway is missing and SCOPEGATE_REQUIRE_GATEWAYS is unset.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;
mod serve_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use scopegate_testkit::fixtures::auth0_token;
use serve_support::{Gateway, Sidecar, Upstream, available, example, free_port, request};

const SUBJECT: &str = "auth0|602c0dcab993d10073daf680";

/// The examples' placeholder ports, replaced by free ones.
fn config(file: &str, listen: u16, sidecar: u16, upstream: u16) -> String {
    example(file)
        .replace("127.0.0.1:8000", &format!("127.0.0.1:{listen}"))
        .replace("127.0.0.1:9191", &format!("127.0.0.1:{sidecar}"))
        .replace("127.0.0.1:8080", &format!("127.0.0.1:{upstream}"))
}

/// Allowed, 401 and 403 through a gateway; identity headers reach the upstream, forged ones
/// never do.
fn exercise(listen: u16) {
    let admin = format!("Bearer {}", auth0_token("openid", &["admin"]));
    let user = format!("Bearer {}", auth0_token("openid", &[]));

    // Allowed with a token: the upstream sees scopegate's identity, not the client's.
    let r = request(
        listen,
        "POST",
        "/pets?x=1",
        &[
            ("Authorization", &admin),
            ("X-Auth-Subject", "forged"),
            ("X-Auth-Roles", "root"),
        ],
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert!(r.body.contains(&format!("x-auth-subject: {SUBJECT}\n")), "{}", r.body);
    assert!(r.body.contains("x-auth-issuer: auth0\n"), "{}", r.body);
    assert!(r.body.contains("x-auth-roles: admin\n"), "{}", r.body);
    assert!(!r.body.contains("forged") && !r.body.contains("root"), "{}", r.body);

    // Anonymous route: allowed, and a forged identity is dropped, not passed on.
    let r = request(
        listen,
        "GET",
        "/pets",
        &[("X-Auth-Subject", "forged"), ("X-Auth-Issuer", "auth0")],
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert!(
        !r.body.contains("forged") && !r.body.contains("x-auth-issuer: auth0"),
        "{}",
        r.body
    );

    // A client describing another request cannot make a protected route anonymous.
    let r = request(
        listen,
        "POST",
        "/pets",
        &[
            ("X-Original-URI", "/pets"),
            ("X-Original-Method", "GET"),
            ("X-Forwarded-Uri", "/pets"),
            ("X-Forwarded-Method", "GET"),
        ],
    );
    assert_eq!(r.status, 401, "{r:?}");

    // 401 with the challenge; 403 for a valid token without the role.
    let r = request(listen, "POST", "/pets", &[]);
    assert_eq!(r.status, 401, "{r:?}");
    assert_eq!(
        r.header("www-authenticate").as_deref(),
        Some("Bearer realm=\"api\""),
        "{r:?}"
    );
    let r = request(listen, "POST", "/pets", &[("Authorization", &user)]);
    assert_eq!(r.status, 403, "{r:?}");
    // An ambiguous path never reaches the upstream.
    let r = request(listen, "GET", "/pets/%2e%2e/pets", &[("Authorization", &admin)]);
    assert_ne!(r.status, 200, "{r:?}");
}

#[test]
fn nginx_auth_request() {
    if !available("nginx") {
        return;
    }
    let upstream = Upstream::start();
    let sidecar = Sidecar::start(&serve_support::policy(""));
    let listen = free_port();
    let gateway = Gateway::nginx(&config("nginx.conf", listen, sidecar.port, upstream.port), listen);
    exercise(listen);
    drop(gateway);
}

#[test]
fn caddy_forward_auth() {
    if !available("caddy") {
        return;
    }
    let upstream = Upstream::start();
    let sidecar = Sidecar::start(&serve_support::policy(""));
    let listen = free_port();
    let gateway = Gateway::caddy(&config("Caddyfile", listen, sidecar.port, upstream.port), listen);
    exercise(listen);
    drop(gateway);
}

/// SIGHUP under traffic through nginx: no request fails, the new policy takes effect, and a
/// policy that does not compile leaves the running one in place.
#[test]
fn sighup_reload_under_traffic_loses_no_request() {
    if !available("nginx") {
        return;
    }
    let upstream = Upstream::start();
    let sidecar = Sidecar::start(&serve_support::policy(""));
    let listen = free_port();
    let _gateway = Gateway::nginx(&config("nginx.conf", listen, sidecar.port, upstream.port), listen);
    let token = format!("Bearer {}", auth0_token("openid", &["admin"]));

    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (stop, sent, token) = (Arc::clone(&stop), Arc::clone(&sent), token.clone());
            std::thread::spawn(move || {
                let mut failures = Vec::new();
                while !stop.load(Ordering::SeqCst) {
                    // GET /pets/{id} needs any valid token in every policy version below.
                    let r = request(listen, "GET", "/pets/7", &[("Authorization", &token)]);
                    sent.fetch_add(1, Ordering::SeqCst);
                    if r.status != 200 {
                        failures.push(r.status);
                    }
                }
                failures
            })
        })
        .collect();

    let deadline = Instant::now() + Duration::from_secs(3);
    let mut reloads = 0;
    while Instant::now() < deadline {
        // Alternate two valid policies and one broken one.
        let text = match reloads % 3 {
            0 => serve_support::policy("# a comment changes nothing\n"),
            1 => "version = 1\n[[routes]\n".to_string(),
            _ => serve_support::policy(""),
        };
        sidecar.rewrite(&text);
        sidecar.signal("HUP");
        reloads += 1;
        std::thread::sleep(Duration::from_millis(150));
    }
    stop.store(true, Ordering::SeqCst);
    let failures: Vec<u16> = workers.into_iter().flat_map(|w| w.join().unwrap()).collect();
    assert!(
        failures.is_empty(),
        "{} of {} requests failed: {failures:?}",
        failures.len(),
        sent.load(Ordering::SeqCst)
    );
    assert!(sent.load(Ordering::SeqCst) > 50, "too little traffic");
    assert!(reloads >= 6);

    // The reload takes effect: `POST /pets` now needs role:owner.
    // Reloads are asynchronous: poll (up to 10 s on a loaded machine) for the expected answer.
    let reload_until = |s: &str, expected: u16| {
        sidecar.rewrite(&serve_support::policy(s));
        sidecar.signal("HUP");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let status = request(listen, "POST", "/pets", &[("Authorization", &token)]).status;
            if status == expected || Instant::now() > deadline {
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    assert_eq!(reload_until("", 200), 200);
    assert_eq!(reload_until("owner", 403), 403);
    // A broken policy keeps the last good one (still 403).
    let failed = |log: String| log.matches("policy reload failed").count();
    let before = failed(sidecar.log());
    sidecar.rewrite("version = 1\n[[routes]]\nroute = \"GET /x\"\nrequire = \"scope:\"\n");
    sidecar.signal("HUP");
    let deadline = Instant::now() + Duration::from_secs(10);
    while failed(sidecar.log()) == before && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(failed(sidecar.log()), before + 1, "{}", sidecar.log());
    assert_eq!(
        request(listen, "POST", "/pets", &[("Authorization", &token)]).status,
        403
    );
}

/// `/metrics`, JSON logs without token material, and a clean exit on SIGTERM with the gRPC
/// listener on too.
#[test]
fn metrics_logs_and_graceful_shutdown() {
    let sidecar = Sidecar::start_with_grpc(&serve_support::policy(""));
    assert!(std::net::TcpStream::connect(("127.0.0.1", sidecar.grpc.unwrap())).is_ok());
    let token = auth0_token("openid", &["admin"]);
    let bearer = format!("Bearer {token}");
    let auth = |method: &str, uri: &str, headers: &[(&str, &str)]| {
        let mut all = vec![("X-Original-Method", method), ("X-Original-URI", uri)];
        all.extend_from_slice(headers);
        request(sidecar.port, "GET", "/auth", &all)
    };
    assert_eq!(auth("POST", "/pets", &[("Authorization", &bearer)]).status, 200);
    assert_eq!(auth("POST", "/pets", &[]).status, 401);
    assert_eq!(request(sidecar.port, "GET", "/auth", &[]).status, 500);
    assert_eq!(request(sidecar.port, "GET", "/readyz", &[]).status, 200);

    let metrics = request(sidecar.port, "GET", "/metrics", &[]);
    assert_eq!(metrics.status, 200);
    for line in [
        "scopegate_http_requests_total{endpoint=\"auth\",status=\"200\"} 1",
        "scopegate_http_requests_total{endpoint=\"auth\",status=\"401\"} 1",
        "scopegate_http_requests_total{endpoint=\"auth\",status=\"500\"} 1",
        "scopegate_http_requests_total{endpoint=\"readyz\",status=\"200\"} 1",
    ] {
        assert!(metrics.body.contains(line), "{line} missing from\n{}", metrics.body);
    }
    // The core's metrics, when present, are labelled with reason codes, never tokens.
    assert!(!metrics.body.contains(&token[..20]));

    let (status, stderr) = sidecar.terminate();
    assert!(status.success(), "{status:?}\n{stderr}");
    let signature = token.rsplit('.').next().unwrap();
    assert!(
        !stderr.contains(signature) && !stderr.contains(&token[..30]),
        "{stderr}"
    );
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(lines.len() >= 3, "{stderr}");
    for line in &lines {
        let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(v.get("level").is_some(), "{line}");
    }
    assert!(stderr.contains("\"reason_code\":\"missing_token\""), "{stderr}");
}

/// The README quotes every gateway config verbatim (the nginx and Caddy ones are what the tests
/// above run).
#[test]
fn readme_quotes_the_gateway_configs_verbatim() {
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md")).unwrap();
    for file in [
        "nginx.conf",
        "Caddyfile",
        "traefik.yml",
        "ingress-nginx.yaml",
        "envoy.yaml",
        "envoy-http.yaml",
    ] {
        let text = example(file);
        assert!(
            readme.contains(&format!("```\n{text}```")) || readme.contains(&format!("\n{text}```")),
            "README does not quote examples/gateways/{file}"
        );
    }
}

fn yaml(file: &str) -> serde_json::Value {
    serde_norway::from_str(&example(file)).unwrap()
}

fn ext_authz_config(filter: &serde_json::Value) -> &serde_json::Value {
    assert_eq!(filter["name"], "envoy.filters.http.ext_authz");
    let c = &filter["typed_config"];
    assert_eq!(
        c["@type"],
        "type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz"
    );
    assert_eq!(c["transport_api_version"], "V3");
    assert_eq!(c["failure_mode_allow"], false, "a sidecar outage must deny");
    c
}

/// No Envoy binary here: the Envoy configs are checked for the ext_authz fields scopegate needs.
#[test]
fn envoy_configs_have_the_ext_authz_shape() {
    let envoy = yaml("envoy.yaml");
    let hcm = &envoy["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"];
    let filters = hcm["http_filters"].as_array().unwrap();
    assert_eq!(
        filters.last().unwrap()["name"],
        "envoy.filters.http.router",
        "ext_authz must run before the router"
    );
    let grpc = ext_authz_config(&filters[0]);
    let cluster = grpc["grpc_service"]["envoy_grpc"]["cluster_name"].as_str().unwrap();
    let clusters = envoy["static_resources"]["clusters"].as_array().unwrap();
    let target = clusters.iter().find(|c| c["name"] == cluster).unwrap();
    assert!(
        target["typed_extension_protocol_options"]
            .to_string()
            .contains("http2_protocol_options"),
        "gRPC needs HTTP/2"
    );
    let port = &target["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"]["socket_address"]["port_value"];
    assert_eq!(port, 9192);

    let http = ext_authz_config(&yaml("envoy-http.yaml"))["http_service"].clone();
    // The prefix is the `[server]` default, so scopegate reads the original path after it.
    assert_eq!(
        http["path_prefix"],
        scopegate::policy::ServerSource::default().envoy_path_prefix
    );
    assert_eq!(http["server_uri"]["uri"], "http://127.0.0.1:9191");
    assert!(clusters.iter().any(|c| c["name"] == http["server_uri"]["cluster"]));
    let patterns = &http["authorization_response"]["allowed_upstream_headers"]["patterns"][0];
    assert_eq!(patterns["prefix"], "x-auth-");
}
