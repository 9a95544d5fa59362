//! `convertor copy SRC DST`: copies an image (every platform, Docker or OCI types, bytes
//! unchanged) between registry repositories and OCI layouts.

use super::api::Repo;
use super::client::{Client, ClientConfig};
use super::reference::{Endpoint, Reference, Target};
use super::transfer::{MountFrom, copy_layout, layout_closure, pull_all, push_all, push_tag};
use crate::cli::{CliError, Credentials, TlsOptions, parse_go_bool};
use crate::gojson::Descriptor;
use crate::layout::Layout;
use anyhow::{Context, Result, bail};
use clap::{ArgAction, Parser};
use std::ffi::OsString;
use std::path::PathBuf;

/// `convertor copy` flags: the registry flags of a conversion.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "convertor copy",
    about = "Copy an image between registries and OCI layouts, every platform, bytes unchanged",
    after_help = "SRC and DST are host[:port]/path[:tag|@digest] or oci:DIR[:TAG]. \
                  DST without a tag takes the source's tag."
)]
pub struct CopyArgs {
    /// Source image
    pub src: String,
    /// Destination
    pub dst: String,
    /// Credentials as user:password for both sides
    #[arg(short = 'u', long, value_name = "USER:PASS", default_value = "")]
    pub username: String,
    /// Use plain HTTP for every registry host
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false",
          default_missing_value = "true", value_parser = parse_go_bool, action = ArgAction::Set)]
    pub plain: bool,
    /// Skip TLS certificate verification
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false",
          default_missing_value = "true", value_parser = parse_go_bool, action = ArgAction::Set)]
    pub insecure: bool,
    /// Directory of *.crt root CAs and *.cert/*.key client pairs (repeatable)
    #[arg(long = "cert-dir", value_name = "DIR")]
    pub cert_dir: Vec<PathBuf>,
    /// PEM root CA file (repeatable)
    #[arg(long = "root-ca", value_name = "FILE")]
    pub root_ca: Vec<PathBuf>,
    /// Client certificate as certfile:keyfile (repeatable)
    #[arg(long = "client-cert", value_name = "CERT:KEY")]
    pub client_cert: Vec<String>,
}

/// What `copy` was asked: run, or print help.
#[derive(Debug)]
pub enum CopyCommand {
    Run(Box<CopyArgs>),
    Print(String),
}

/// Parses `copy`'s arguments (argv without the program name and `copy`).
pub fn parse_copy<I: IntoIterator<Item = OsString>>(args: I) -> Result<CopyCommand, CliError> {
    let argv = std::iter::once(OsString::from("convertor copy")).chain(args);
    match CopyArgs::try_parse_from(argv) {
        Ok(a) => Ok(CopyCommand::Run(Box::new(a))),
        Err(e) => {
            use clap::error::ErrorKind;
            let text = e.render().to_string();
            match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => Ok(CopyCommand::Print(text)),
                _ => Err(CliError(
                    text.lines()
                        .map(str::trim)
                        .find(|l| !l.is_empty())
                        .unwrap_or("error: invalid command line")
                        .to_string(),
                )),
            }
        }
    }
}

/// What a copy did.
#[derive(Debug, Clone)]
pub struct CopyReport {
    pub root: Descriptor,
    pub documents: usize,
    pub blobs: usize,
}

/// Runs `convertor copy` (the binary's entry point for the subcommand).
pub fn copy_main(a: &CopyArgs) -> Result<CopyReport> {
    let src = Endpoint::parse(&a.src)?;
    let dst = Endpoint::parse(&a.dst)?;
    let cfg = client_config(a)?;
    let src_tag = match &src {
        Endpoint::Registry(r) => match &r.target {
            Some(Target::Tag(t)) => Some(t.clone()),
            Some(Target::Digest(_)) => None,
            None => bail!("source {} names no tag or digest", a.src),
        },
        Endpoint::Layout { tag, .. } => tag.clone(),
    };
    let dst_tag = match &dst {
        Endpoint::Registry(Reference {
            target: Some(Target::Digest(_)),
            ..
        }) => bail!("destination {} must name a tag, not a digest", a.dst),
        Endpoint::Registry(Reference {
            target: Some(Target::Tag(t)),
            ..
        }) => Some(t.clone()),
        Endpoint::Layout { tag: Some(t), .. } => Some(t.clone()),
        _ => src_tag.clone(),
    };

    // The source as a layout: itself, or a staging copy of the registry image.
    let staging;
    let (layout, root) = match &src {
        Endpoint::Layout { dir, tag } => {
            let layout = Layout::open(dir)?;
            let root = layout_root(&layout, tag.as_deref())?;
            (layout, root)
        }
        Endpoint::Registry(r) => {
            let client = Client::new(&r.host, &cfg)?;
            let repo = Repo {
                client: &client,
                name: &r.repository,
            };
            let reference = r.target.as_ref().map(Target::as_str).unwrap_or_default();
            let into = match &dst {
                Endpoint::Layout { dir, .. } => Layout::open_or_create(dir)?,
                Endpoint::Registry(_) => {
                    staging = tempfile::Builder::new()
                        .prefix("convertor-copy-")
                        .tempdir()
                        .context("failed to create a staging layout")?;
                    Layout::open_or_create(staging.path())?
                }
            };
            let root = pull_all(&repo, reference, &into)
                .with_context(|| format!("failed to pull {}", a.src))?;
            (into, root)
        }
    };

    let closure = match &dst {
        Endpoint::Layout { dir, .. } => {
            let to = Layout::open_or_create(dir)?;
            if to.root() != layout.root() {
                copy_layout(&layout, &root, &to)?;
            }
            let tag = dst_tag.with_context(|| format!("destination {} needs a tag", a.dst))?;
            to.tag(&tag, &root)?;
            layout_closure(&to, &root)?
        }
        Endpoint::Registry(r) => {
            let client = Client::new(&r.host, &cfg)?;
            let repo = Repo {
                client: &client,
                name: &r.repository,
            };
            let mount_from = match &src {
                Endpoint::Registry(s) if s.host == r.host => Some(MountFrom {
                    repository: s.repository.as_str(),
                    digests: None,
                }),
                _ => None,
            };
            let closure = push_all(&repo, &layout, &root, mount_from)
                .with_context(|| format!("failed to push to {}", a.dst))?;
            if let Some(tag) = &dst_tag {
                push_tag(&repo, &layout, &root, tag)?;
            }
            closure
        }
    };
    Ok(CopyReport {
        root,
        documents: closure.documents.len(),
        blobs: closure.blobs.len(),
    })
}

/// The entry a layout source names: its tag, or its only entry.
fn layout_root(layout: &Layout, tag: Option<&str>) -> Result<Descriptor> {
    if let Some(t) = tag {
        let mut d = layout.resolve_tag(t)?;
        d.annotations.remove(crate::image::ANNOTATION_REF_NAME);
        return Ok(d);
    }
    match layout.index()?.manifests() {
        [only] => Ok(only.bare()),
        list => bail!(
            "{} holds {} entries: name one as oci:DIR:TAG",
            layout.root().display(),
            list.len()
        ),
    }
}

fn client_config(a: &CopyArgs) -> Result<ClientConfig> {
    Ok(ClientConfig {
        plain_http: a.plain,
        tls: TlsOptions::from_flags(
            a.cert_dir.clone(),
            a.root_ca.clone(),
            &a.client_cert,
            a.insecure,
        )?,
        credentials: Credentials::from_flag(&a.username),
        ..ClientConfig::default()
    })
}
