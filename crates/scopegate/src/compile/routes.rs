//! `[[routes]]` -> the route table and each route's compiled requirement.

use std::sync::Arc;

use super::{Ctx, Diagnostic, Severity};
use crate::expr::Expr;
use crate::model::{Access, BitSet, CompiledRoute, IssuerTable, Requirement, Symbols};
use crate::policy::load::Location;
use crate::policy::spans::{RouteSpans, entry};
use crate::policy::{AllowSource, RouteSource};
use crate::routes::{RouteKey, RouteTable};

/// Everything a route is compiled against besides its own entry.
pub(super) struct Scope<'a> {
    pub issuers: &'a IssuerTable,
    pub symbols: &'a mut Symbols,
    pub table: &'a mut RouteTable,
}

/// Compiles `routes[i]`; `None` when it has errors (they are in `ctx`).
pub(super) fn compile_route(ctx: &mut Ctx<'_>, i: usize, src: &RouteSource, scope: Scope<'_>) -> Option<CompiledRoute> {
    let spans = ctx.policy.spans().route(i);
    let subject = format!("routes[{i}] `{}`", src.route);
    // Locations are looked up only when a diagnostic needs one: a lookup scans the text, and
    // doing it for every route made compiling 10,000 routes quadratic.
    let at_route = |ctx: &Ctx<'_>| ctx.at(spans.route.as_ref(), &src.route);
    let key = match RouteKey::parse(&src.route) {
        Ok(k) => k,
        Err(e) => {
            ctx.error(&subject, at_route(ctx), e.message);
            return None;
        }
    };
    // Inserted first so that overlaps are reported even when the requirement has errors too.
    // Route ids are insertion indexes; any error below fails the whole compilation.
    let mut ok = true;
    if let Err(e) = scope.table.insert(key.clone()) {
        let message = format!(
            "overlaps routes[{}] `{}`: both match the same requests with equal precedence",
            e.existing_id.index(),
            e.existing
        );
        ctx.error(&subject, at_route(ctx), message);
        ok = false;
    }
    let anonymous = src.allow == Some(AllowSource::Anonymous);
    if anonymous && (src.require.is_some() || src.scopes.is_some() || src.roles.is_some() || src.issuers.is_some()) {
        let message = "`allow = \"anonymous\"` cannot be combined with `require`, `scopes`, `roles` or `issuers`";
        ctx.error(&subject, at_route(ctx), message);
        return None;
    }
    let route = Entry {
        subject: &subject,
        src,
        spans,
    };
    let parts = route.requirements(ctx, scope.issuers, scope.symbols, &mut ok);
    let issuers = route.issuers(ctx, scope.issuers, &mut ok);
    let access = if anonymous {
        Access::Anonymous
    } else {
        route.access(ctx, parts, issuers.is_some(), ok)?
    };
    if !ok {
        return None;
    }
    let requirement_text: Arc<str> = match &access {
        Access::Anonymous => "anonymous".into(),
        Access::Required(r) => r.describe(scope.symbols, &|i| scope.issuers.id_of(i)).into(),
    };
    let issuer_ids = issuers.as_ref().map(|list| {
        list.iter()
            .filter_map(|i| scope.issuers.get(*i).map(|x| Arc::clone(&x.id)))
            .collect()
    });
    let param_names = key.param_names().into_iter().map(Arc::from).collect();
    Some(CompiledRoute {
        key_text: key.to_string().into(),
        key,
        requirement_text,
        access,
        issuers,
        issuer_ids,
        param_names,
    })
}

/// One route entry being compiled.
struct Entry<'a> {
    subject: &'a str,
    src: &'a RouteSource,
    spans: &'a RouteSpans,
}

impl Entry<'_> {
    /// Where the route key stands in the file (looked up on demand, for a diagnostic).
    fn at_route(&self, ctx: &Ctx<'_>) -> Option<Location> {
        ctx.at(self.spans.route.as_ref(), &self.src.route)
    }

    /// The parts of the requirement: the `require` expression, then the `scopes` and `roles`
    /// any-of lists. Clears `ok` on errors.
    fn requirements(
        &self,
        ctx: &mut Ctx<'_>,
        issuers: &IssuerTable,
        symbols: &mut Symbols,
        ok: &mut bool,
    ) -> Vec<Requirement> {
        let mut parts = Vec::new();
        if let Some(text) = &self.src.require {
            match self.expression(ctx, text, issuers, symbols) {
                Some(r) => parts.push(r),
                None => *ok = false,
            }
        }
        for (list, is_scope) in [(&self.src.scopes, true), (&self.src.roles, false)] {
            let Some(names) = list else { continue };
            let (field, spans) = if is_scope {
                ("scopes", &self.spans.scopes)
            } else {
                ("roles", &self.spans.roles)
            };
            if names.is_empty() {
                let message = format!("`{field} = []` can never be satisfied; remove it or list names");
                ctx.error(self.subject, self.at_route(ctx), message);
                *ok = false;
                continue;
            }
            let mut bits = BitSet::default();
            for (j, name) in names.iter().enumerate() {
                check_name(ctx, self.subject, name, entry(spans, j));
                bits.insert(if is_scope {
                    symbols.scopes.intern(name)
                } else {
                    symbols.roles.intern(name)
                });
            }
            parts.push(if is_scope {
                Requirement::AnyScope(bits)
            } else {
                Requirement::AnyRole(bits)
            });
        }
        parts
    }

    /// The `require` expression, compiled; `None` after reporting an error.
    fn expression(
        &self,
        ctx: &mut Ctx<'_>,
        text: &str,
        issuers: &IssuerTable,
        symbols: &mut Symbols,
    ) -> Option<Requirement> {
        let at = |ctx: &Ctx<'_>| ctx.at(self.spans.require.as_ref(), text);
        let expr = match Expr::parse(text) {
            Ok(expr) => expr,
            Err(e) => {
                // Point at the failing character: the value's location plus the offset.
                let location = at(ctx).map(|mut l| {
                    l.column += e.offset;
                    l
                });
                ctx.diagnostics.push(Diagnostic {
                    severity: Severity::Error,
                    location,
                    subject: format!("{} require", self.subject),
                    message: format!("{}\n    {text}\n    {}^", e.message, " ".repeat(e.offset)),
                });
                return None;
            }
        };
        expr.for_each_atom(&mut |atom| {
            if let Expr::Scope(n) | Expr::Role(n) | Expr::Client(n) = atom {
                check_name(ctx, self.subject, n, None);
            }
        });
        let issuer_index = |id: &str| issuers.by_id(id).map(|x| x.index);
        match Requirement::compile(&expr, symbols, &issuer_index) {
            Ok(r) => Some(r),
            Err(e) => {
                let location = at(ctx);
                ctx.error(self.subject, location, e);
                None
            }
        }
    }

    /// `issuers = [..]` as issuer indexes. Clears `ok` on errors.
    fn issuers(&self, ctx: &mut Ctx<'_>, table: &IssuerTable, ok: &mut bool) -> Option<Vec<u16>> {
        let ids = self.src.issuers.as_ref()?;
        let mut out = Vec::new();
        for (j, id) in ids.iter().enumerate() {
            match table.by_id(id) {
                Some(x) => out.push(x.index),
                None => {
                    let at = ctx.at(entry(&self.spans.issuers, j), id);
                    ctx.error(self.subject, at, format!("unknown issuer id `{id}` in `issuers`"));
                    *ok = false;
                }
            }
        }
        if ids.is_empty() {
            let message = "`issuers = []` lets no token in; remove it or list issuer ids";
            ctx.error(self.subject, self.at_route(ctx), message);
            *ok = false;
        }
        Some(out)
    }

    /// The route's access from its requirement parts; `None` when it says nothing.
    fn access(&self, ctx: &mut Ctx<'_>, mut parts: Vec<Requirement>, limited: bool, ok: bool) -> Option<Access> {
        Some(match parts.len() {
            0 if limited => Access::Required(Requirement::Authenticated),
            0 => {
                if ok {
                    let message = "the route says nothing: add `require`, `scopes`, `roles`, `issuers` or `allow = \"anonymous\"`";
                    ctx.error(self.subject, self.at_route(ctx), message);
                }
                return None;
            }
            1 => Access::Required(parts.pop()?),
            _ => Access::Required(Requirement::And(parts.into_boxed_slice())),
        })
    }
}

/// Names must be printable; a space can only ever match array-valued claims.
fn check_name(ctx: &mut Ctx<'_>, subject: &str, name: &str, span: Option<&toml::Spanned<String>>) {
    if name.is_empty() || name.contains('"') || name.chars().any(char::is_control) {
        let message = format!("name {name:?} is empty or contains a quote or control character");
        ctx.error(subject, None, message);
    } else if name.chars().any(char::is_whitespace) {
        let at = ctx.at(span, name);
        ctx.warn(subject, at, format!("`{name}` contains a space: it can only match array-valued claims, never a space-separated `scope` string"));
    }
}
