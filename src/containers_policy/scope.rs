//! Which requirements apply to an image: c/image's `requirementsForImageRef` for the `docker`
//! transport. The first scope present wins, and only that one list applies:
//!
//! 1. `PolicyConfigurationIdentity()`: `host[:port]/ns/repo:tag` (or `@digest`);
//! 2. `PolicyConfigurationNamespaces()`: the repository, each parent namespace, the host
//!    (`host[:port]`), then the wildcard domains `*.b.example.com`, `*.example.com`, `*.com`
//!    (the port stripped);
//! 3. the transport's `""` scope;
//! 4. the policy's `default`.

use super::reference::DockerReference;

/// The scopes of `reference`, most specific first (steps 1 and 2; not `""`).
pub fn docker_scopes(reference: &DockerReference) -> Vec<String> {
    let mut out = vec![reference.to_string()];
    let mut name = reference.name();
    loop {
        out.push(name.clone());
        match name.rfind('/') {
            Some(i) => name.truncate(i),
            None => break,
        }
    }
    if let Some(colon) = name.find(':') {
        name.truncate(colon);
    }
    while let Some(dot) = name.find('.') {
        name = name[dot + 1..].to_string();
        out.push(format!("*.{name}"));
    }
    out
}

/// How the requirements were chosen: the key of the matching scope, or the defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatchedScope {
    /// A scope of `transports.docker`.
    Docker(String),
    /// `transports.docker[""]`.
    TransportDefault,
    /// The policy's `default`.
    Default,
}

impl MatchedScope {
    /// The form the report shows: the scope itself, `docker:""` or `default`.
    pub fn label(&self) -> String {
        match self {
            MatchedScope::Docker(s) => s.clone(),
            MatchedScope::TransportDefault => "docker:\"\"".into(),
            MatchedScope::Default => "default".into(),
        }
    }
}

/// The first of `reference`'s scopes that `has` holds.
pub fn lookup(
    reference: &DockerReference,
    has: impl Fn(&str) -> bool,
    has_docker: bool,
) -> MatchedScope {
    if has_docker {
        if let Some(s) = docker_scopes(reference).into_iter().find(|s| has(s)) {
            return MatchedScope::Docker(s);
        }
        if has("") {
            return MatchedScope::TransportDefault;
        }
    }
    MatchedScope::Default
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scopes(s: &str) -> Vec<String> {
        docker_scopes(&DockerReference::parse_normalized(s).unwrap())
    }

    /// c/image `docker/policyconfiguration` `TestDockerReferenceNamespaces` and
    /// `docker_transport_test.go` `TestReferencePolicyConfigurationNamespaces`.
    #[test]
    fn scopes_most_specific_first() {
        assert_eq!(
            scopes("example.com/ns1/ns2/ns3/repo.with.dots-dashes_underscores:notlatest"),
            [
                "example.com/ns1/ns2/ns3/repo.with.dots-dashes_underscores:notlatest",
                "example.com/ns1/ns2/ns3/repo.with.dots-dashes_underscores",
                "example.com/ns1/ns2/ns3",
                "example.com/ns1/ns2",
                "example.com/ns1",
                "example.com",
                "*.com",
            ]
        );
        assert_eq!(
            scopes("busybox:latest"),
            [
                "docker.io/library/busybox:latest",
                "docker.io/library/busybox",
                "docker.io/library",
                "docker.io",
                "*.io"
            ]
        );
        assert_eq!(
            scopes("example.com:8443/ns/repo:tag"),
            [
                "example.com:8443/ns/repo:tag",
                "example.com:8443/ns/repo",
                "example.com:8443/ns",
                "example.com:8443",
                "*.com"
            ]
        );
        assert_eq!(
            scopes(
                "a.b.example.com/repo@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
            ),
            [
                "a.b.example.com/repo@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                "a.b.example.com/repo",
                "a.b.example.com",
                "*.b.example.com",
                "*.example.com",
                "*.com"
            ]
        );
        assert_eq!(
            scopes("localhost:5000/test:latest"),
            [
                "localhost:5000/test:latest",
                "localhost:5000/test",
                "localhost:5000"
            ]
        );
    }

    #[test]
    fn lookup_order() {
        let r = DockerReference::parse_normalized("reg.example.com/team/app:v1").unwrap();
        let look = |keys: &[&str], docker: bool| lookup(&r, |s| keys.contains(&s), docker);
        assert_eq!(
            look(&["reg.example.com/team/app:v1", "reg.example.com"], true),
            MatchedScope::Docker("reg.example.com/team/app:v1".into())
        );
        assert_eq!(
            look(&["reg.example.com", "reg.example.com/team", ""], true),
            MatchedScope::Docker("reg.example.com/team".into())
        );
        assert_eq!(
            look(&["*.com", "*.example.com"], true),
            MatchedScope::Docker("*.example.com".into())
        );
        assert_eq!(
            look(&["other.com", ""], true),
            MatchedScope::TransportDefault
        );
        assert_eq!(look(&["other.com"], true), MatchedScope::Default);
        assert_eq!(look(&[""], false), MatchedScope::Default);
        // A wildcard never matches the bare domain it names.
        assert_eq!(look(&["*.reg.example.com"], true), MatchedScope::Default);
    }
}
