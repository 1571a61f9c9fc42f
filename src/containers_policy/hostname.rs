//! `subjectHostname` of a `pki` requirement: c/image calls Go's
//! `x509.Certificate.VerifyHostname`, so the rules here are Go's. An IP address (optionally in
//! brackets) must equal one of the certificate's iPAddress SANs; a name is matched, ASCII
//! case-insensitively and without a trailing dot, against the dNSName SANs, where a SAN whose
//! left-most label is exactly `*` stands for any one label. The subject's Common Name is never
//! consulted (Go stopped doing so in 1.15).

use std::net::IpAddr;

/// Whether a certificate with `dns_names` and `ips` SANs is valid for `host`; the error is
/// Go's `HostnameError` text without its `x509: ` prefix.
pub(super) fn verify(host: &str, dns_names: &[String], ips: &[IpAddr]) -> Result<(), String> {
    let candidate_ip = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if let Ok(ip) = candidate_ip.parse::<IpAddr>() {
        if ips.iter().any(|c| same_ip(*c, ip)) {
            return Ok(());
        }
        if ips.is_empty() {
            return Err(format!(
                "cannot validate certificate for {candidate_ip} because it doesn't contain any IP SANs"
            ));
        }
        let valid: Vec<String> = ips.iter().map(IpAddr::to_string).collect();
        return Err(format!(
            "certificate is valid for {}, not {candidate_ip}",
            valid.join(", ")
        ));
    }
    let candidate = host.to_ascii_lowercase();
    let valid_candidate = valid_hostname(&candidate, false);
    for pattern in dns_names {
        let ok = if valid_candidate && valid_hostname(pattern, true) {
            match_hostnames(pattern, &candidate)
        } else {
            match_exactly(pattern, &candidate)
        };
        if ok {
            return Ok(());
        }
    }
    if dns_names.is_empty() {
        return Err(format!(
            "certificate is not valid for any names, but wanted to match {host}"
        ));
    }
    Err(format!(
        "certificate is valid for {}, not {host}",
        dns_names.join(", ")
    ))
}

/// Go's `net.IP.Equal`: an IPv4 address equals its IPv4-mapped IPv6 form.
fn same_ip(a: IpAddr, b: IpAddr) -> bool {
    let v6 = |ip: IpAddr| match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped(),
        IpAddr::V6(v6) => v6,
    };
    v6(a) == v6(b)
}

/// Go's `validHostname`: non-empty labels of letters, digits, `_` and non-leading `-`; a
/// pattern may have `*` as its whole left-most label; a bare `*` is never valid.
fn valid_hostname(host: &str, is_pattern: bool) -> bool {
    let host = if is_pattern {
        host
    } else {
        host.strip_suffix('.').unwrap_or(host)
    };
    if host.is_empty() || host == "*" {
        return false;
    }
    host.split('.').enumerate().all(|(i, part)| {
        if part.is_empty() {
            return false;
        }
        if is_pattern && i == 0 && part == "*" {
            return true;
        }
        part.char_indices()
            .all(|(j, c)| c.is_ascii_alphanumeric() || c == '_' || (c == '-' && j != 0))
    })
}

/// Go's `matchHostnames`: label by label, a left-most `*` matching any one label.
fn match_hostnames(pattern: &str, host: &str) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    if pattern.is_empty() || host.is_empty() {
        return false;
    }
    let p: Vec<&str> = pattern.split('.').collect();
    let h: Vec<&str> = host.split('.').collect();
    p.len() == h.len()
        && p.iter()
            .zip(&h)
            .enumerate()
            .all(|(i, (pp, hp))| (i == 0 && *pp == "*") || pp == hp)
}

/// Go's `matchExactly`: ASCII case-insensitive equality, never of an empty name or `.`.
fn match_exactly(a: &str, b: &str) -> bool {
    if a.is_empty() || a == "." || b.is_empty() || b == "." {
        return false;
    }
    a.eq_ignore_ascii_case(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn names_match_as_go_does() {
        let dns = names(&["myhost.example.com", "*.apps.example.com"]);
        for ok in [
            "myhost.example.com",
            "MyHost.Example.COM",
            "myhost.example.com.",
            "a.apps.example.com",
        ] {
            assert_eq!(verify(ok, &dns, &[]), Ok(()), "{ok}");
        }
        for bad in [
            "other.example.com",
            "example.com",
            "a.b.apps.example.com",
            "apps.example.com",
            "",
        ] {
            let e = verify(bad, &dns, &[]).expect_err(bad);
            assert_eq!(
                e,
                format!(
                    "certificate is valid for myhost.example.com, *.apps.example.com, not {bad}"
                )
            );
        }
        assert_eq!(
            verify("x.example.com", &[], &[]).unwrap_err(),
            "certificate is not valid for any names, but wanted to match x.example.com"
        );
    }

    #[test]
    fn invalid_names_compare_exactly() {
        // A pattern that is not a valid hostname (here: a space) only matches itself.
        let dns = names(&["my host.example.com", "*"]);
        assert_eq!(verify("My Host.example.com", &dns, &[]), Ok(()));
        assert!(verify("anything", &dns, &[]).is_err());
    }

    #[test]
    fn addresses_match_ip_sans_only() {
        let ips: Vec<IpAddr> = vec!["192.0.2.7".parse().unwrap(), "2001:db8::1".parse().unwrap()];
        assert_eq!(verify("192.0.2.7", &[], &ips), Ok(()));
        assert_eq!(verify("[2001:db8::1]", &[], &ips), Ok(()));
        assert_eq!(verify("::ffff:192.0.2.7", &[], &ips), Ok(()));
        assert_eq!(
            verify("192.0.2.8", &names(&["192.0.2.8"]), &ips).unwrap_err(),
            "certificate is valid for 192.0.2.7, 2001:db8::1, not 192.0.2.8"
        );
        assert_eq!(
            verify("192.0.2.8", &[], &[]).unwrap_err(),
            "cannot validate certificate for 192.0.2.8 because it doesn't contain any IP SANs"
        );
    }
}
