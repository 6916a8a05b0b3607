//! Policy files round-trip: model -> TOML -> model and model -> JSON -> model, for generated
//! models with every optional field present or absent and awkward strings (quotes, newlines,
//! unicode). Expression printing round-trips in `properties.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use proptest::prelude::*;
use scopegate::policy::{
    AllowSource, CorsPreflight, HmacSecretEncoding, IdentityCacheSource, InlineJwks, IssuerSource, JwksFetchSource,
    LambdaSource, PolicySource, ProfileName, RouteSource, SettingsSource, Unmatched,
};
use scopegate::{Format, LoadedPolicy};

/// Text that TOML and JSON must escape: quotes, backslashes, newlines, tabs, unicode.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9:/._-]{1,12}",
        "\\PC{0,16}",
        prop::collection::vec(
            prop::sample::select(vec!["\"", "'", "\\", "\n", "\t", "é", "🦀", "'''", "a"]),
            0..6
        )
        .prop_map(|v| v.concat()),
    ]
}

fn strings() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(text(), 0..3)
}

fn settings() -> impl Strategy<Value = SettingsSource> {
    (
        0..100_000u64,
        any::<bool>(),
        any::<bool>(),
        1..1_000_000usize,
        0..100_000u64,
        0..100_000u64,
        (1..600_000u32, 0..1_000u32),
    )
        .prop_map(
            |(leeway, unmatched, cors, max, capacity, ttl, (timeout_ms, stale_min))| SettingsSource {
                leeway_seconds: leeway,
                unmatched: if unmatched {
                    Unmatched::Deny
                } else {
                    Unmatched::AllowAuthenticated
                },
                cors_preflight: if cors {
                    CorsPreflight::Allow
                } else {
                    CorsPreflight::Enforce
                },
                max_token_bytes: max,
                identity_cache: IdentityCacheSource {
                    capacity,
                    ttl_seconds: ttl,
                },
                // Fractional seconds must survive TOML and JSON exactly.
                jwks: JwksFetchSource {
                    timeout_seconds: f64::from(timeout_ms) / 1000.0,
                    max_stale_seconds: f64::from(stale_min) * 60.0,
                    ..JwksFetchSource::default()
                },
            },
        )
}

fn jwks() -> impl Strategy<Value = InlineJwks> {
    prop_oneof![
        text().prop_map(InlineJwks::Text),
        prop::collection::btree_map("[a-z]{1,6}", text().prop_map(serde_json::Value::String), 0..3)
            .prop_map(|m: BTreeMap<String, serde_json::Value>| InlineJwks::Document(m)),
    ]
}

fn issuer() -> impl Strategy<Value = IssuerSource> {
    let profile = prop::sample::select(vec![
        ProfileName::Asgardeo,
        ProfileName::Fusionauth,
        ProfileName::Auth0,
        ProfileName::Cognito,
        ProfileName::Okta,
        ProfileName::Keycloak,
        ProfileName::Entra,
        ProfileName::Generic,
    ]);
    let head = (
        text(),
        profile,
        prop::option::of(text()),
        prop::option::of(text()),
        prop::option::of(text()),
        strings(),
        prop::option::of(strings()),
        prop::option::of(text().prop_map(PathBuf::from)),
        prop::option::of(jwks()),
        prop::option::of(text()),
        prop::option::of(text()),
    );
    let tail = (
        prop::option::of(strings()),
        prop::option::of(strings()),
        prop::option::of(text()),
        prop::option::of(strings()),
        prop::option::of(strings()),
        prop::option::of(strings()),
        prop::option::of(strings()),
        prop::option::of(strings()),
    );
    let fields = (
        prop::option::of(text()),
        prop::option::of(text()),
        prop::option::of(text()),
        prop::option::of(text()),
        prop::option::of(text()),
        prop::option::of(text()),
        prop::option::of(any::<u8>()),
        prop::option::of(strings()),
        prop::sample::select(vec![
            HmacSecretEncoding::Utf8,
            HmacSecretEncoding::Base64,
            HmacSecretEncoding::Base64url,
            HmacSecretEncoding::Hex,
        ]),
        prop::option::of(strings()),
        prop::option::of(prop::collection::btree_map(text(), text(), 0..3)),
    );
    (head, tail, fields).prop_map(
        |(
            (id, profile, issuer, org, domain, audiences, algorithms, jwks_file, jwks, jwks_uri, hmac_secret_env),
            (
                scope_claims,
                role_claims,
                roles_claim,
                client_claims,
                audience_claims,
                token_types,
                known_scopes,
                known_roles,
            ),
            (
                authorization_server,
                region,
                user_pool_id,
                base_url,
                realm,
                tenant,
                token_version,
                allowed_tenants,
                hmac_secret_encoding,
                client_role_claims,
                token_claims,
            ),
        )| IssuerSource {
            id,
            profile,
            issuer,
            org,
            domain,
            audiences,
            algorithms,
            jwks_file,
            jwks,
            jwks_uri,
            hmac_secret_env,
            scope_claims,
            role_claims,
            roles_claim,
            client_claims,
            audience_claims,
            token_types,
            known_scopes,
            known_roles,
            authorization_server,
            region,
            user_pool_id,
            base_url,
            realm,
            tenant,
            token_version,
            allowed_tenants,
            hmac_secret_encoding,
            client_role_claims,
            token_claims,
        },
    )
}

fn route() -> impl Strategy<Value = RouteSource> {
    (
        text(),
        prop::option::of(text()),
        prop::option::of(strings()),
        prop::option::of(strings()),
        prop::option::of(strings()),
        any::<bool>(),
        prop::option::of(text()),
    )
        .prop_map(
            |(route, require, scopes, roles, issuers, anonymous, description)| RouteSource {
                route,
                require,
                scopes,
                roles,
                issuers,
                allow: anonymous.then_some(AllowSource::Anonymous),
                description,
            },
        )
}

fn policy() -> impl Strategy<Value = PolicySource> {
    (
        settings(),
        prop::collection::vec(issuer(), 0..3),
        prop::collection::vec(route(), 0..4),
    )
        .prop_map(|(settings, issuers, routes)| PolicySource {
            version: 1,
            settings,
            issuers,
            routes,
            lambda: LambdaSource::default(),
            server: Default::default(),
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn policies_round_trip_through_toml(p in policy()) {
        let toml = p.to_toml().unwrap();
        let again = LoadedPolicy::parse(&toml, Format::Toml, "p.toml").unwrap_or_else(|e| panic!("{e}\n{toml}"));
        prop_assert_eq!(again.source, p);
    }

    #[test]
    fn policies_round_trip_through_json(p in policy()) {
        let json = p.to_json().unwrap();
        let again = LoadedPolicy::parse(&json, Format::Json, "p.json").unwrap_or_else(|e| panic!("{e}\n{json}"));
        prop_assert_eq!(again.source, p);
    }

    #[test]
    fn toml_and_json_give_the_same_model(p in policy()) {
        let from_toml = LoadedPolicy::parse(&p.to_toml().unwrap(), Format::Toml, "p.toml").unwrap().source;
        let from_json = LoadedPolicy::parse(&p.to_json().unwrap(), Format::Json, "p.json").unwrap().source;
        prop_assert_eq!(from_toml, from_json);
    }
}
