//! Unit tests of the configuration: resolution, checks, and the settings table.

use super::*;
use std::path::Path;

use super::check::is_loopback_url;

#[test]
fn defaults_are_the_local_profile() {
    let c = Config::resolve(&Overrides::default()).unwrap();
    assert_eq!(c.profile, Profile::Local);
    assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(c.database_url, "sqlite://./tilgang-data/tilgang.db");
    assert_eq!(c.public_url, "http://127.0.0.1:8080");
    assert_eq!(c.request_timeout, Duration::from_secs(864_000));
    assert_eq!(c.job_interval, Duration::from_secs(60));
    assert_eq!(c.header_read_timeout, Duration::from_secs(10));
    assert_eq!(c.max_connections_per_client, 256);
    assert!(c.trusted_proxies.is_empty());
}

#[test]
fn production_wants_https_providers_outside_loopback() {
    let base = || Overrides {
        profile: Some(Profile::Production),
        database_url: Some("postgres://u@db/t?sslmode=verify-full".into()),
        public_url: Some("https://tilgang.example".into()),
        smtp_host: Some("smtp.example".into()),
        idporten_issuer: Some("https://idporten.no".into()),
        idporten_client_id: Some("c".into()),
        idporten_client_secret: Some("s".into()),
        ansattporten_issuer: Some("https://ansattporten.no".into()),
        ansattporten_client_id: Some("c".into()),
        ansattporten_client_secret: Some("s".into()),
        maskinporten_issuer: Some("https://maskinporten.no/".into()),
        maskinporten_jwks_url: Some("https://maskinporten.no/jwk".into()),
        ..Default::default()
    };
    let c = Config::resolve(&base()).unwrap();
    assert_eq!(
        c.idporten.unwrap().issuer,
        "https://idporten.no",
        "kept exactly"
    );
    let e = Config::resolve(&Overrides {
        idporten_issuer: Some("http://idporten.example".into()),
        maskinporten_jwks_url: Some("http://mp.example/jwk".into()),
        ..base()
    })
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("idporten-issuer: 'http://idporten.example' must use https://"),
        "{e}"
    );
    assert!(e.contains("maskinporten-jwks-url"), "{e}");
    // A provider on this machine (a test, or a sidecar) may speak plain HTTP.
    for local in [
        "http://127.0.0.1:9000",
        "http://localhost:9000/op",
        "http://[::1]:9000",
    ] {
        assert!(
            Config::resolve(&Overrides {
                idporten_issuer: Some(local.into()),
                ..base()
            })
            .is_ok(),
            "{local}"
        );
    }
    assert!(!is_loopback_url("http://127.0.0.1.evil.example/"));
}

#[test]
fn production_refuses_plain_text_to_a_database_on_another_host() {
    let with = |url: &str, allow: bool| {
        Config::resolve(&Overrides {
            profile: Some(Profile::Production),
            database_url: Some(url.into()),
            database_allow_plaintext: allow,
            public_url: Some("https://tilgang.example".into()),
            smtp_host: Some("smtp.example".into()),
            idporten_issuer: Some("https://idporten.no".into()),
            idporten_client_id: Some("c".into()),
            idporten_client_secret: Some("s".into()),
            ansattporten_issuer: Some("https://ansattporten.no".into()),
            ansattporten_client_id: Some("c".into()),
            ansattporten_client_secret: Some("s".into()),
            maskinporten_issuer: Some("https://maskinporten.no/".into()),
            maskinporten_jwks_url: Some("https://maskinporten.no/jwk".into()),
            ..Default::default()
        })
    };
    for (url, mode) in [
        ("postgres://u@db.example/t", "prefer"),
        ("postgres://u@db.example/t?sslmode=disable", "disable"),
        ("postgres://u@10.0.0.5:5433/t?sslmode=allow", "allow"),
    ] {
        let e = with(url, false).unwrap_err().to_string();
        assert!(e.contains(&format!("sslmode={mode}")), "{e}");
        assert!(e.contains("database-allow-plaintext"), "{e}");
        assert!(with(url, true).is_ok(), "allowed on purpose: {url}");
    }
    for url in [
        "postgres://u@db.example/t?sslmode=verify-full",
        "postgres://u@localhost/t",
        "postgres://u@127.0.0.1:5432/t?sslmode=disable",
        "postgres://u@[::1]/t",
        "postgres:///t?host=/run/postgresql",
    ] {
        let c = with(url, false).unwrap_or_else(|e| panic!("{url}: {e}"));
        assert!(c.warnings().is_empty(), "{url}: {:?}", c.warnings());
    }
    let c = with("postgres://u@db.example/t?sslmode=require", false).unwrap();
    assert!(c.warnings()[0].contains("prefer sslmode=verify-full"));
    assert!(c.warnings()[0].contains("db.example"));
    // A refused database is named even when nothing else is wrong.
    assert!(matches!(
        with("postgres://u@db.example/t", false),
        Err(ConfigError::Incomplete(m)) if m.len() == 1
    ));
}

#[test]
fn a_database_ca_file_must_hold_certificates_and_be_used() {
    let dir = std::env::temp_dir().join(format!("tilgang-config-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let not_pem = dir.join("ca.txt");
    std::fs::write(&not_pem, "not a certificate").unwrap();
    let resolve = |url: &str, ca: &Path| {
        Config::resolve(&Overrides {
            database_url: Some(url.into()),
            database_ca_file: Some(ca.to_path_buf()),
            ..Default::default()
        })
        .map(|_| ())
        .unwrap_err()
        .to_string()
    };
    let full = "postgres://u@db.example/t?sslmode=verify-full";
    let e = resolve(full, &dir.join("missing.pem"));
    assert!(
        e.contains("database-ca-file") && e.contains("cannot read"),
        "{e}"
    );
    let e = resolve(full, &not_pem);
    assert!(e.contains("holds no PEM certificate"), "{e}");
    // A certificate whose mode would ignore it is a mistake, not a silent no-op.
    let pem = dir.join("ca.pem");
    std::fs::write(
        &pem,
        "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let e = resolve("postgres://u@db.example/t?sslmode=require", &pem);
    assert!(e.contains("sslmode=require does not check"), "{e}");
    let e = resolve("sqlite://./x.db", &pem);
    assert!(e.contains("only a postgres://"), "{e}");
    let c = Config::resolve(&Overrides {
        database_url: Some(full.into()),
        database_ca_file: Some(pem.clone()),
        ..Default::default()
    })
    .unwrap();
    assert!(c.describe().contains("ca.pem"));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn secrets_do_not_show_in_debug_output() {
    let o = Overrides {
        database_url: Some("postgres://u:hemmelig-0@localhost/t?password=hemmelig-3".into()),
        idporten_issuer: Some("https://idporten.no".into()),
        idporten_client_id: Some("c".into()),
        idporten_client_secret: Some("hemmelig-1".into()),
        smtp_host: Some("smtp.example".into()),
        smtp_username: Some("u".into()),
        smtp_password: Some("hemmelig-2".into()),
        ..Default::default()
    };
    let c = Config::resolve(&o).unwrap();
    let shown = format!("{c:?}{}{o:?}", c.describe());
    assert!(!shown.contains("hemmelig"), "{shown}");
    assert!(shown.contains("Secret(****)"));
    assert!(shown.contains("postgres://u:****@localhost/t?password=****"));
    assert!(
        format!("{o:?}").contains("smtp_password: \"****\""),
        "{o:?}"
    );
}

#[test]
fn a_maskinporten_audience_needs_the_external_maskinporten() {
    let err = Config::resolve(&Overrides {
        maskinporten_audience: Some("https://api.example/".into()),
        ..Default::default()
    })
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("maskinporten-audience") && err.contains("maskinporten-issuer"),
        "{err}"
    );
    let c = Config::resolve(&Overrides {
        maskinporten_audience: Some(" https://api.example/ ".into()),
        maskinporten_issuer: Some("https://test.maskinporten.no/".into()),
        maskinporten_jwks_url: Some("https://test.maskinporten.no/jwk".into()),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(
        c.maskinporten_audience.as_deref(),
        Some("https://api.example/")
    );
    assert!(
        c.describe()
            .contains("maskinporten-audience = \"https://api.example/\"")
    );
}

#[test]
fn limits_and_proxies_are_checked() {
    let c = Config::resolve(&Overrides {
        trusted_proxies: Some("10.0.0.1, ::1, 172.16.0.0/12".into()),
        header_read_timeout: Some(Duration::from_secs(3)),
        max_connections_per_client: Some(10),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(c.trusted_proxies.len(), 3);
    let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
    let range = c.trusted_proxies[2];
    assert!(range.contains(ip("172.16.0.1")) && range.contains(ip("172.31.255.255")));
    assert!(!range.contains(ip("172.32.0.1")) && !range.contains(ip("::1")));
    assert!(range.contains(ip("::ffff:172.20.1.1")), "IPv4-mapped");
    assert!(c.trusted_proxies[1].contains(ip("::1")));
    assert!(
        "0.0.0.0/0"
            .parse::<AddressRange>()
            .unwrap()
            .contains(ip("8.8.8.8"))
    );
    assert!("10.0.0.0/33".parse::<AddressRange>().is_err());
    let described = c.describe();
    for line in [
        "trusted-proxies = \"10.0.0.1,::1,172.16.0.0/12\"",
        "shutdown-grace = \"10s\"",
        "min-acr = \"idporten-loa-substantial\"",
    ] {
        assert!(described.contains(line), "{line}: {described}");
    }
    let refused = |o: Overrides, key: &str| {
        let e = Config::resolve(&o).unwrap_err().to_string();
        assert!(e.contains(key), "{e}");
    };
    assert!(
        described.contains("proxy-headers = \"xforwarded\""),
        "{described}"
    );
    let c = Config::resolve(&Overrides {
        proxy_headers: Some("forwarded".parse().unwrap()),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(c.proxy_headers, ProxyHeaders::Forwarded);
    assert!("x-forwarded-for".parse::<ProxyHeaders>().is_err());
    refused(
        Overrides {
            trusted_proxies: Some("10.0.0.1,proxy.example".into()),
            ..Default::default()
        },
        "'proxy.example' is not an IP address",
    );
    refused(
        Overrides {
            header_read_timeout: Some(Duration::from_secs(7200)),
            ..Default::default()
        },
        "header-read-timeout",
    );
    refused(
        Overrides {
            max_connections_per_client: Some(0),
            ..Default::default()
        },
        "max-connections-per-client",
    );
    refused(
        Overrides {
            min_acr: Some("low".into()),
            ..Default::default()
        },
        "'low' is not substantial or high",
    );
    refused(
        Overrides {
            decision_audit_rate: Some("1.5".into()),
            ..Default::default()
        },
        "'1.5' is not a share from 0 to 1",
    );
    refused(
        Overrides {
            decision_max_requests: Some(0),
            ..Default::default()
        },
        "decision-max-requests",
    );
}

#[test]
fn production_names_every_missing_setting() {
    let o = Overrides {
        profile: Some(Profile::Production),
        ..Default::default()
    };
    let err = Config::resolve(&o).unwrap_err().to_string();
    for setting in [
        "database-url",
        "public-url",
        "idporten-issuer",
        "ansattporten-issuer",
        "maskinporten-issuer",
    ] {
        assert!(err.contains(setting), "{setting} missing from: {err}");
    }
    let o = Overrides {
        profile: Some(Profile::Production),
        database_url: Some("postgres://db/tilgang?sslmode=verify-full".into()),
        public_url: Some("http://example.org".into()),
        ..Default::default()
    };
    let err = Config::resolve(&o).unwrap_err().to_string();
    assert!(err.contains("https"), "{err}");
    assert!(!err.contains("database-url"), "{err}");
}

#[test]
fn file_values_lose_to_flags() {
    let dir = std::env::temp_dir().join(format!("tilgang-config-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("t.toml");
    std::fs::write(
        &file,
        "listen = \"127.0.0.1:9000\"\npublic-url = \"http://x.test/\"\n",
    )
    .unwrap();
    let o = Overrides {
        config: Some(file.clone()),
        listen: Some("127.0.0.1:9100".parse().unwrap()),
        ..Default::default()
    };
    let c = Config::resolve(&o).unwrap();
    assert_eq!(c.listen.port(), 9100);
    assert_eq!(c.public_url, "http://x.test");
    assert!(
        c.describe()
            .contains("public-url = \"http://x.test\"  # config file")
    );
    std::fs::write(&file, "lisen = \"x\"\n").unwrap();
    let err = Config::resolve(&Overrides {
        config: Some(file),
        ..Default::default()
    })
    .unwrap_err();
    assert!(err.to_string().contains("lisen"), "{err}");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn durations() {
    assert_eq!(parse_duration("10d").unwrap(), Duration::from_secs(864_000));
    assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
    assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
    assert!(parse_duration("0s").is_err());
    assert!(parse_duration("10w").is_err());
    assert!(parse_duration("d").is_err());
    assert_eq!(format_duration(Duration::from_secs(864_000)), "10d");
}

#[test]
fn masks_passwords() {
    assert_eq!(
        mask_url_password("postgres://u:secret@h/db"),
        "postgres://u:****@h/db"
    );
    assert_eq!(mask_url_password("postgres://u@h/db"), "postgres://u@h/db");
    // The last '@' ends the user information; a password may also be a query parameter.
    assert_eq!(
        mask_url_password("postgres://u:p@ss@h:5432/db?sslmode=verify-full&password=x"),
        "postgres://u:****@h:5432/db?sslmode=verify-full&password=****"
    );
    // Unescaped '/', '#' or '?' in the password: never printed, whatever else is hidden.
    for (url, masked) in [
        ("postgres://u:p#ss@db/x", "postgres://u:****@db/x"),
        ("postgres://u:pa/ss@db/x", "postgres://u:****@db/x"),
        (
            "postgres://u:pa?ss@db:5432/x",
            "postgres://u:****@db:5432/x",
        ),
    ] {
        assert_eq!(mask_url_password(url), masked);
    }
    for unchanged in [
        "sqlite://./tilgang-data/tilgang.db",
        "sqlite:x.db",
        "postgres:///t?host=/run/postgresql",
        "https://tilgang.example/a?b=c#d",
    ] {
        assert_eq!(mask_url_password(unchanged), unchanged);
    }
}

/// The settings table, the flags, the file's keys and the README agree.
mod table {
    use super::*;
    use clap::Args;

    #[test]
    fn every_setting_is_a_flag_with_its_environment_variable_and_help() {
        let command = Overrides::augment_args(clap::Command::new("tilgang"));
        let args: Vec<_> = command.get_arguments().collect();
        assert_eq!(args.len(), SETTINGS.len());
        for (s, arg) in SETTINGS.iter().zip(&args) {
            assert_eq!(arg.get_long(), Some(s.name));
            assert_eq!(
                s.env,
                format!("TILGANG_{}", s.name.to_uppercase().replace('-', "_"))
            );
            assert_eq!(arg.get_env().and_then(|e| e.to_str()), Some(s.env));
            assert_eq!(arg.get_help().map(ToString::to_string), Some(s.help()));
            assert!(arg.is_global_set(), "{}", s.name);
            // Secrets never show; nor does the database URL, which may hold a password.
            assert_eq!(
                arg.is_hide_env_values_set(),
                s.secret || s.name == "database-url",
                "{}",
                s.name
            );
            let secret_looking = ["secret", "password", "key", "token"]
                .iter()
                .any(|w| s.name.contains(w));
            assert_eq!(s.secret, secret_looking, "{} and the Secret type", s.name);
            assert!(!s.doc().is_empty() && !s.doc().ends_with('.'), "{}", s.name);
            assert_eq!(Setting::named(s.name), Some(s), "names are unique");
        }
    }

    #[test]
    fn the_file_takes_exactly_the_settings_with_a_toml_key() {
        for s in SETTINGS {
            // Any value: a wrong type is another error than an unknown key.
            let error = match toml::from_str::<settings::FileConfig>(&format!("{} = 1", s.name)) {
                Ok(_) => String::new(),
                Err(e) => e.to_string(),
            };
            assert_eq!(
                !error.contains("unknown field"),
                s.in_file,
                "{}: {error}",
                s.name
            );
        }
    }

    #[test]
    fn defaults_and_config_check_follow_the_table() {
        let c = Config::resolve(&Overrides::default()).unwrap();
        let text = c.describe();
        let described: Vec<&str> = text
            .lines()
            .filter_map(|l| l.split_once(" = ").map(|(k, _)| k))
            .collect();
        let in_file: Vec<&str> = SETTINGS
            .iter()
            .filter(|s| s.in_file)
            .map(|s| s.name)
            .collect();
        assert_eq!(
            described, in_file,
            "config check shows every TOML key in order"
        );
        for s in SETTINGS {
            assert_eq!(c.source(s.name), Source::Default, "{}", s.name);
        }
    }

    #[test]
    fn a_flag_that_is_on_counts_as_given() {
        let c = Config::resolve(&Overrides {
            database_allow_plaintext: true,
            allow_profile_change: true,
            ..Default::default()
        })
        .unwrap();
        assert!(c.database_allow_plaintext && c.allow_profile_change);
        assert!(
            c.describe()
                .contains("database-allow-plaintext = \"true\"  # flag or environment")
        );
    }

    #[test]
    fn the_readme_shows_the_generated_table() {
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
            .expect("README.md");
        let start = "<!-- settings:start -->\n";
        let end = "<!-- settings:end -->";
        let table = readme
            .split_once(start)
            .and_then(|(_, rest)| rest.split_once(end))
            .map(|(table, _)| table)
            .expect("README.md marks its settings table with <!-- settings:start/end -->");
        assert!(
            table == settings::markdown(),
            "README.md's settings table is not what the settings table in \
             src/config/settings.rs makes; put `tilgang config settings` between the markers:\n{}",
            settings::markdown()
        );
    }
}
