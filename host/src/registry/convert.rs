//! A registry conversion (`-r host/repo`): pull the selected source graph into a staging OCI
//! layout in the work dir, run the layout pipeline on it, then push every output's blobs and
//! documents, the referrers fallback indexes, and the output tags last.

use super::api::Repo;
use super::client::{Client, ClientConfig};
use super::referrers;
use super::transfer::{pull_blobs, pull_document, push_all, push_tag};
use crate::cli::{Options, Selector};
use crate::gojson::Descriptor;
use crate::image::{self, BlobSource, node_kind};
use crate::layout::Layout;
use crate::pipeline::{Events, RunReport, convert_layout};
use crate::plan::Plan;
use anyhow::{Context, Result};

/// Converts `host/path` as `opts` asks; `events` as for [`convert_layout`]. Graph warnings
/// are printed on stderr here, as the layout path's caller does.
pub fn convert_registry(
    host: &str,
    path: &str,
    opts: &Options,
    events: Option<&dyn Events>,
) -> Result<RunReport> {
    let client = Client::new(
        host,
        &ClientConfig {
            plain_http: opts.plain_http,
            tls: opts.tls.clone(),
            credentials: opts.credentials.clone(),
            ..ClientConfig::default()
        },
    )?;
    let repo = Repo {
        client: &client,
        name: path,
    };
    std::fs::create_dir_all(&opts.work_dir).with_context(|| {
        format!(
            "failed to create work directory {}",
            opts.work_dir.display()
        )
    })?;
    let staging_dir = tempfile::Builder::new()
        .prefix("registry-")
        .tempdir_in(&opts.work_dir)
        .context("failed to create the staging layout")?;
    let staging = Layout::open_or_create(staging_dir.path())?;

    let reference = match &opts.source {
        Selector::Tag(t) => t,
        Selector::Digest(d) => d,
    };
    let root = pull_document(&repo, reference, &staging)
        .with_context(|| format!("failed to resolve {host}/{path}:{reference}"))?;
    let source = RemoteSource {
        repo: &repo,
        layout: &staging,
    };
    let graph = image::walk(&source, &root, &opts.platforms)
        .with_context(|| format!("failed to walk {:?}", root.digest))?;
    for w in &graph.warnings {
        eprintln!("warning: {w}");
    }
    let layers: Vec<Descriptor> = graph
        .root
        .images()
        .iter()
        .flat_map(|i| i.manifest.layers().iter().cloned())
        .collect();
    pull_blobs(&repo, &layers, &staging).context("failed to pull the source layers")?;
    let plan = Plan { root, graph };

    let report = convert_layout(&staging, &plan, opts, events)?;
    if !opts.no_upload {
        let mut pushed = Vec::new();
        for t in &report.targets {
            pushed.push(
                push_all(&repo, &staging, &t.root, None)
                    .with_context(|| format!("failed to push {}", t.tag))?,
            );
        }
        if opts.referrer {
            for p in &pushed {
                referrers::publish(&repo, &staging, p)?;
            }
        }
        for t in &report.targets {
            push_tag(&repo, &staging, &t.root, &t.tag)?;
        }
    }
    if opts.reserve {
        let kept = staging_dir.keep();
        eprintln!("info: staging layout kept at {}", kept.display());
    }
    Ok(report)
}

/// The graph walk's reads: from the staging layout, fetched from the registry on first use.
struct RemoteSource<'a> {
    repo: &'a Repo<'a>,
    layout: &'a Layout,
}

impl BlobSource for RemoteSource<'_> {
    fn fetch(&self, desc: &Descriptor) -> Result<Vec<u8>> {
        if !self.layout.has_blob(&desc.digest)? {
            if node_kind(&desc.media_type).is_ok() {
                pull_document(self.repo, &desc.digest, self.layout)?;
            } else {
                self.repo
                    .pull_blob(&desc.digest, u64::try_from(desc.size).ok(), self.layout)?;
            }
        }
        self.layout.fetch(desc)
    }
}
