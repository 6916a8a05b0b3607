//! Processes for the gateway tests: `scopegate serve`, nginx, Caddy, an echoing upstream, and a
//! plain HTTP/1.1 client. Everything binds 127.0.0.1 and lives in its own temp folder.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use scopegate_testkit::fixtures::{PETS_ROUTES, Rule, auth0_issuer, jwks_inline, keys, routes};

use crate::common::workdir;

/// True when `bin` is on PATH. A missing gateway skips the test, unless
/// SCOPEGATE_REQUIRE_GATEWAYS is set (CI), where it fails.
pub fn available(bin: &str) -> bool {
    let found = std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|p| p.join(bin).is_file()))
        || Path::new("/usr/sbin").join(bin).is_file();
    if !found {
        assert!(
            std::env::var_os("SCOPEGATE_REQUIRE_GATEWAYS").is_none(),
            "{bin} is not installed and SCOPEGATE_REQUIRE_GATEWAYS is set"
        );
        eprintln!("skipped: {bin} is not installed");
    }
    found
}

fn binary(bin: &str) -> PathBuf {
    let sbin = Path::new("/usr/sbin").join(bin);
    if sbin.is_file() { sbin } else { PathBuf::from(bin) }
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A file of `examples/gateways/`.
pub fn example(file: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/gateways")
        .join(file);
    std::fs::read_to_string(path).unwrap()
}

/// The pets policy (Auth0 with inline keys); `POST /pets` needs `role:admin`, or
/// `role:{post_role}` when given.
pub fn policy(post_role: &str) -> String {
    let mut text = String::from("version = 1\n");
    text.push_str(&auth0_issuer(&[&jwks_inline(&[&keys().auth0])]));
    let require = format!("role:{post_role}");
    let list: Vec<(&str, Rule<'_>)> = PETS_ROUTES
        .iter()
        .map(
            |(k, r)| match (*k, post_role.is_empty() || post_role.starts_with('#')) {
                ("POST /pets", false) => (*k, Rule::Require(&require)),
                _ => (*k, *r),
            },
        )
        .collect();
    text.push_str(&routes(&list));
    if post_role.starts_with('#') {
        text.push_str(post_role);
    }
    text
}

fn wait_for_port(port: u16, what: &str, log: &Path) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            panic!(
                "{what} did not listen on {port}:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn stop(child: &mut Child) {
    let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    let deadline = Instant::now() + Duration::from_secs(5);
    while child.try_wait().ok().flatten().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `scopegate serve` on a free port.
pub struct Sidecar {
    pub port: u16,
    /// The gRPC ext_authz port, when started with one.
    pub grpc: Option<u16>,
    child: Option<Child>,
    dir: PathBuf,
}

impl Sidecar {
    pub fn start(policy: &str) -> Sidecar {
        Sidecar::spawn(policy, false)
    }

    /// With `--grpc-listen` as well.
    pub fn start_with_grpc(policy: &str) -> Sidecar {
        Sidecar::spawn(policy, true)
    }

    fn spawn(policy: &str, grpc: bool) -> Sidecar {
        let dir = workdir();
        std::fs::write(dir.join("policy.toml"), policy).unwrap();
        let port = free_port();
        let grpc = grpc.then(free_port);
        let stderr = std::fs::File::create(dir.join("stderr.log")).unwrap();
        let mut args = vec![
            "serve".to_string(),
            dir.join("policy.toml").display().to_string(),
            "--listen".into(),
            format!("127.0.0.1:{port}"),
        ];
        if let Some(g) = grpc {
            args.extend(["--grpc-listen".into(), format!("127.0.0.1:{g}")]);
        }
        let child = Command::new(env!("CARGO_BIN_EXE_scopegate"))
            .args(&args)
            .env("RUST_LOG", "info,scopegate_server=debug")
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap();
        wait_for_port(port, "scopegate serve", &dir.join("stderr.log"));
        if let Some(g) = grpc {
            wait_for_port(g, "scopegate serve (gRPC)", &dir.join("stderr.log"));
        }
        Sidecar {
            port,
            grpc,
            child: Some(child),
            dir,
        }
    }

    /// Replaces the policy file in one step (rename), as a deployment would.
    pub fn rewrite(&self, policy: &str) {
        let tmp = self.dir.join("policy.toml.new");
        std::fs::write(&tmp, policy).unwrap();
        std::fs::rename(tmp, self.dir.join("policy.toml")).unwrap();
    }

    pub fn signal(&self, sig: &str) {
        let pid = self.child.as_ref().unwrap().id().to_string();
        assert!(Command::new("kill").args(["-s", sig, &pid]).status().unwrap().success());
    }

    /// What it logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("stderr.log")).unwrap_or_default()
    }

    /// SIGTERM, then the exit status and everything logged.
    pub fn terminate(mut self) -> (ExitStatus, String) {
        let mut child = self.child.take().unwrap();
        let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
        let status = child.wait().unwrap();
        (status, std::fs::read_to_string(self.dir.join("stderr.log")).unwrap())
    }
}

impl Drop for Sidecar {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            stop(&mut child);
        }
    }
}

/// nginx or Caddy, started in a temp folder.
pub struct Gateway {
    child: Child,
}

impl Gateway {
    /// nginx with `snippet` (an `examples/gateways/nginx.conf`) inside `http { }`.
    pub fn nginx(snippet: &str, port: u16) -> Gateway {
        let dir = workdir();
        let d = dir.display();
        let conf = format!(
            "daemon off;\nuser root;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
             events {{ worker_connections 512; }}\n\
             http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n  \
             fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n{snippet}\n}}\n"
        );
        std::fs::write(dir.join("nginx.conf"), conf).unwrap();
        let child = Command::new(binary("nginx"))
            .args([
                "-p",
                &d.to_string(),
                "-c",
                &format!("{d}/nginx.conf"),
                "-e",
                &format!("{d}/error.log"),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_for_port(port, "nginx", &dir.join("error.log"));
        Gateway { child }
    }

    /// Caddy with a Caddyfile (admin endpoint off).
    pub fn caddy(caddyfile: &str, port: u16) -> Gateway {
        let dir = workdir();
        std::fs::write(dir.join("Caddyfile"), caddyfile).unwrap();
        let log = std::fs::File::create(dir.join("caddy.log")).unwrap();
        let child = Command::new(binary("caddy"))
            .args([
                "run",
                "--config",
                dir.join("Caddyfile").to_str().unwrap(),
                "--adapter",
                "caddyfile",
            ])
            .env("HOME", &dir)
            .env("XDG_DATA_HOME", dir.join("data"))
            .env("XDG_CONFIG_HOME", dir.join("config"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        wait_for_port(port, "caddy", &dir.join("caddy.log"));
        Gateway { child }
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// An upstream that answers 200 with the request's header lines (`name: value`, names
/// lower-cased) as its body.
pub struct Upstream {
    pub port: u16,
}

impl Upstream {
    pub fn start() -> Upstream {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                std::thread::spawn(move || echo(stream));
            }
        });
        Upstream { port }
    }
}

fn echo(stream: TcpStream) {
    let mut reader = BufReader::new(&stream);
    let mut body = String::new();
    let mut line = String::new();
    let _ = reader.read_line(&mut line); // request line
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.trim_end().split_once(':') {
            body.push_str(&format!("{}: {}\n", name.to_ascii_lowercase(), value.trim()));
        }
    }
    let mut out = &stream;
    let _ = write!(
        out,
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

/// A response as the client read it.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    }
}

/// One HTTP/1.1 request on a fresh connection (`Connection: close`).
pub fn request(port: u16, method: &str, target: &str, headers: &[(&str, &str)]) -> Reply {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut head =
        format!("{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: 0\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body = if chunked { dechunk(body) } else { body.to_string() };
    Reply { status, headers, body }
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || after.len() < n {
            break;
        }
        out.push_str(&after[..n]);
        rest = after[n..].trim_start_matches("\r\n");
    }
    out
}
