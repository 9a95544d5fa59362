//! A registry conversion (`-r host/repo`): pull the selected source graph into a staging OCI
//! layout in the work dir, run the layout pipeline on it while each layer's output blobs are
//! uploaded as soon as they are stored, then push the documents, the referrers fallback
//! indexes, and the output tags last. Outputs go to
//! `--output-repository` when given: blobs the target lacks are mounted from the source
//! repository on the same host, else uploaded from the staging layout. With a dedup database
//! the output repository is the dedup site; its rows are written after the tags.

use super::TRANSFER_JOBS;
use super::api::Repo;
use super::auth;
use super::client::{Client, ClientConfig};
use super::dedup_site::RegistrySite;
use super::parallel::for_each;
use super::referrers;
use super::transfer::{
    Closure, MountFrom, pull_blobs, pull_document, push_all, push_one_blob, push_tag,
};
use super::uploader::with_uploads;
use crate::cli::{Dedup, Options, Repository, Selector};
use crate::dedup::{BlobSite, ConversionDb, Deferred};
use crate::gojson::Descriptor;
use crate::image::{self, BlobSource, node_kind};
use crate::layout::{Layout, Verify};
use crate::pipeline::{
    Events, FetchLayers, RunReport, Supplied, convert_layout, convert_layout_with,
};
use crate::plan::Plan;
use anyhow::{Context, Result};
use std::collections::BTreeSet;

/// Converts `host/path` as `opts` asks; `events` as for [`convert_layout`]. Graph warnings
/// are printed on stderr here, as the layout path's caller does.
pub fn convert_registry(
    host: &str,
    path: &str,
    opts: &Options,
    events: Option<&dyn Events>,
) -> Result<RunReport> {
    let config = ClientConfig {
        plain_http: opts.plain_http,
        tls: opts.tls.clone(),
        credentials: opts.credentials.clone(),
        ..ClientConfig::default()
    };
    let client = Client::new(host, &config)?;
    let repo = Repo {
        client: &client,
        name: path,
    };
    let (out_host, out_path) = match &opts.output_repository {
        Some(Repository::Registry { host, path }) => (host.as_str(), path.as_str()),
        _ => (host, path),
    };
    let out_client;
    let out_repo = if out_host == host {
        Repo {
            client: &client,
            name: out_path,
        }
    } else {
        // `-u` is for both hosts unless the target host has its own Docker config entry.
        let credentials = if auth::has_own_entry(out_host) {
            None
        } else {
            opts.credentials.clone()
        };
        out_client = Client::new(
            out_host,
            &ClientConfig {
                credentials,
                ..config.clone()
            },
        )?;
        Repo {
            client: &out_client,
            name: out_path,
        }
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
    // From here a signal stops the run cleanly instead of killing the process.
    crate::interrupt::install();
    let run = Run {
        repo: &repo,
        out_repo: &out_repo,
        same_host: out_host == host,
        staging: &staging,
        opts,
    };
    let result = run.run(events);
    // Kept on failure too: that is when it is worth a look.
    if opts.reserve {
        let kept = staging_dir.keep();
        eprintln!("info: staging layout kept at {}", kept.display());
    }
    result
}

/// One registry conversion, its clients and staging layout set up.
struct Run<'a> {
    repo: &'a Repo<'a>,
    out_repo: &'a Repo<'a>,
    same_host: bool,
    staging: &'a Layout,
    opts: &'a Options,
}

impl Run<'_> {
    fn run(&self, events: Option<&dyn Events>) -> Result<RunReport> {
        let (repo, staging, opts) = (self.repo, self.staging, self.opts);
        let reference = match &opts.source {
            Selector::Tag(t) => t,
            Selector::Digest(d) => d,
        };
        let root = pull_document(repo, reference, staging).with_context(|| {
            format!(
                "failed to resolve {}/{}:{reference}",
                repo.client.host(),
                repo.name
            )
        })?;
        let source = RemoteSource {
            repo,
            layout: staging,
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
        // With a database, an image reused whole needs no source layer: they are pulled per
        // image, when it is converted.
        let on_demand = !opts.no_upload && !matches!(opts.dedup, Dedup::None);
        if !on_demand {
            pull_blobs(repo, &layers, staging).context("failed to pull the source layers")?;
        }
        // What the source repository holds, for mounts into another repository of its host.
        let mut source_blobs: BTreeSet<String> = layers.iter().map(|l| l.digest.clone()).collect();
        source_blobs.extend(
            graph
                .root
                .images()
                .iter()
                .map(|i| i.manifest.config.digest.clone()),
        );
        let plan = Plan { root, graph };

        if opts.no_upload {
            return convert_layout(staging, &plan, opts, events);
        }
        let mount = self.same_host.then_some(MountFrom {
            repository: repo.name,
            digests: Some(&source_blobs),
        });
        let db = crate::dedup::open(&opts.dedup).context("failed to open the dedup database")?;
        let deferred = db.as_deref().map(Deferred::new);
        let site = RegistrySite::new(self.out_repo, staging);
        let with_db = deferred
            .as_ref()
            .map(|d| (d as &dyn ConversionDb, &site as &dyn BlobSite));
        // Layer blobs go up while later layers convert; documents and tags only after.
        let fetch = |l: &[Descriptor]| {
            pull_blobs(repo, l, staging).context("failed to pull the source layers")
        };
        let supplied = Supplied {
            dedup: with_db,
            fetch_layers: on_demand.then_some(&fetch as FetchLayers<'_>),
            warnings: Vec::new(),
        };
        let mut report = with_uploads(self.out_repo, staging, mount, events, |ev| {
            convert_layout_with(staging, &plan, opts, Some(ev), supplied)
        })?;
        self.push(&report, mount)?;
        // Rows only once the tags are pushed: a record never names unpublished content.
        for w in deferred.map(Deferred::commit).unwrap_or_default() {
            eprintln!("warning: {w}");
            report.warnings.push(w);
        }
        Ok(report)
    }

    /// Pushes every output, then the referrers fallback indexes, then the output tags: a tag
    /// is the commit point, so a tagged output is complete down to its referrers listing (a
    /// listing without a tag, after a failure in between, names complete content only).
    fn push(&self, report: &RunReport, mount: Option<MountFrom<'_>>) -> Result<()> {
        let (out_repo, staging) = (self.out_repo, self.staging);
        let elsewhere =
            (out_repo.client.host(), out_repo.name) != (self.repo.client.host(), self.repo.name);
        let mut pushed = Vec::new();
        for t in &report.targets {
            let closure = push_all(out_repo, staging, &t.root, mount)
                .with_context(|| format!("failed to push {}", t.tag))?;
            // TurboOCI layers read their source layer from the same repository.
            if elsewhere {
                let targets = external_targets(staging, &closure)?;
                for_each(&targets, TRANSFER_JOBS, |d| {
                    // A reused image's source layers were never pulled.
                    if !staging.has_blob(&d.digest)? && !out_repo.has_blob(&d.digest)? {
                        self.repo.pull_blob(&d.digest, None, staging)?;
                    }
                    push_one_blob(out_repo, staging, d, mount)
                })
                .with_context(|| format!("failed to push the source layers of {}", t.tag))?;
            }
            pushed.push(closure);
        }
        crate::interrupt::check()?;
        if self.opts.referrer {
            for p in &pushed {
                referrers::publish(out_repo, staging, p)?;
            }
        }
        crate::interrupt::check()?;
        for t in &report.targets {
            push_tag(out_repo, staging, &t.root, &t.tag)?;
        }
        Ok(())
    }
}

/// Layer annotations naming a blob the layer reads at run time (TurboOCI's source layer).
const TARGET_DIGEST_SUFFIX: &str = "/target-digest";

/// The blobs the layers of `closure` name in a `*/target-digest` annotation.
fn external_targets(layout: &Layout, closure: &Closure) -> Result<Vec<Descriptor>> {
    let mut out: Vec<Descriptor> = Vec::new();
    for d in &closure.documents {
        let bytes = layout.read_blob(&d.digest, Verify::Yes)?;
        let v: serde_json::Value =
            serde_json::from_slice(&bytes).with_context(|| format!("{} is not JSON", d.digest))?;
        let layers = v.get("layers").and_then(|l| l.as_array());
        for l in layers.into_iter().flatten() {
            let Some(notes) = l.get("annotations").and_then(|a| a.as_object()) else {
                continue;
            };
            for (k, val) in notes {
                if let Some(digest) = val.as_str()
                    && k.ends_with(TARGET_DIGEST_SUFFIX)
                    && !out.iter().any(|o| o.digest == digest)
                {
                    out.push(Descriptor::new("", digest, -1));
                }
            }
        }
    }
    Ok(out)
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
