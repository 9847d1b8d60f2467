//! A throwaway PostgreSQL for the tests: `initdb` into a temporary folder, a free port, trust
//! authentication on loopback, fsync off. Run as root, the server runs as the `postgres` user
//! (PostgreSQL refuses root). Every test gets a database of its own in one shared cluster;
//! tests that stop and start PostgreSQL get a private cluster.
//!
//! Cleaning up: the postmaster is started with a parent-death signal (SIGQUIT, PostgreSQL's
//! "stop now"), from a thread that lives as long as the test process, so it never outlives the
//! tests, even when they are killed. Folders left by killed runs are swept at the next start.
//!
//! `TEST_DATABASE_URL`, when set, names a PostgreSQL to use instead (its user must be allowed
//! to create databases).

use std::io;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use sqlx::Connection;

/// The folder holding `initdb` and `postgres`, if PostgreSQL's binaries are installed.
pub fn bin_dir() -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .collect();
    candidates.sort();
    candidates.reverse();
    candidates
        .into_iter()
        .find(|bin| bin.join("initdb").is_file() && bin.join("postgres").is_file())
}

/// Whether PostgreSQL can be had: a `TEST_DATABASE_URL` or installed binaries.
pub fn available() -> bool {
    std::env::var("TEST_DATABASE_URL").is_ok() || bin_dir().is_some()
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// The uid and gid of the `postgres` user.
fn postgres_user() -> io::Result<(u32, u32)> {
    let name = std::ffi::CString::new("postgres").unwrap();
    // SAFETY: getpwnam returns a pointer to static storage or null; read at once.
    let entry = unsafe { libc::getpwnam(name.as_ptr()) };
    if entry.is_null() {
        return Err(io::Error::other("no `postgres` user (install postgresql)"));
    }
    // SAFETY: non-null, as just checked.
    Ok(unsafe { ((*entry).pw_uid, (*entry).pw_gid) })
}

/// A command that runs as the `postgres` user when we are root, and dies with its parent.
fn as_postgres(program: &Path) -> io::Result<Command> {
    let mut command = Command::new(program);
    let ids = if is_root() {
        Some(postgres_user()?)
    } else {
        None
    };
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(move || {
            if let Some((uid, gid)) = ids
                && (libc::setgid(gid) != 0 || libc::setuid(uid) != 0)
            {
                return Err(io::Error::last_os_error());
            }
            // After setuid, which clears it.
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGQUIT);
            Ok(())
        });
    }
    Ok(command)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

const PREFIX: &str = "jwt-cookie-lab-pg-";

/// Removes folders of clusters whose test process is gone.
fn sweep_leftovers() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<i32>().ok())
        else {
            continue;
        };
        // SAFETY: kill with signal 0 only checks whether the process exists.
        let alive = unsafe { libc::kill(pid, 0) == 0 };
        if !alive {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

pub struct PgCluster {
    pub port: u16,
    dir: PathBuf,
    bin: PathBuf,
    postmaster: Mutex<Option<Child>>,
    /// Set when the cluster is not ours (`TEST_DATABASE_URL`).
    external: Option<String>,
}

impl PgCluster {
    /// initdb and start a new cluster. Runs on the calling thread: the postmaster dies when
    /// this thread ends.
    fn start() -> io::Result<PgCluster> {
        sweep_leftovers();
        let bin = bin_dir().ok_or_else(|| io::Error::other("PostgreSQL binaries not found"))?;
        let dir = std::env::temp_dir().join(format!(
            "{PREFIX}{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir)?;
        if is_root() {
            let (uid, gid) = postgres_user()?;
            std::os::unix::fs::chown(&dir, Some(uid), Some(gid))?;
        }
        let data = dir.join("data");
        let out = as_postgres(&bin.join("initdb"))?
            .args(["-D"])
            .arg(&data)
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()?;
        if !out.status.success() {
            return Err(io::Error::other(format!(
                "initdb failed: {}",
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        let cluster = PgCluster {
            port: free_port(),
            dir,
            bin,
            postmaster: Mutex::new(None),
            external: None,
        };
        cluster.run_postmaster()?;
        Ok(cluster)
    }

    fn run_postmaster(&self) -> io::Result<()> {
        let child = self.postmaster_command().spawn()?;
        *self.postmaster.lock().unwrap() = Some(child);
        self.wait_until_up(Duration::from_secs(30))
    }

    fn postmaster_command(&self) -> Command {
        let data = self.dir.join("data");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("log"))
            .or_else(|_| std::fs::File::create("/dev/null"))
            .expect("a log file");
        let mut command = as_postgres(&self.bin.join("postgres")).expect("the postgres user");
        command
            .arg("-D")
            .arg(&data)
            .args(["-p", &self.port.to_string(), "-k"])
            .arg(&data)
            .args([
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=400",
                "-c",
                "shared_buffers=32MB",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        command
    }

    fn wait_until_up(&self, limit: Duration) -> io::Result<()> {
        let started = Instant::now();
        while started.elapsed() < limit {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                // Accepting connections is not yet accepting logins; ask for one.
                let url = self.admin_url();
                let ok = std::thread::scope(|s| {
                    s.spawn(|| {
                        let rt = tokio::runtime::Builder::new_current_thread()
                            .enable_all()
                            .build()
                            .unwrap();
                        rt.block_on(async { sqlx::PgConnection::connect(&url).await.is_ok() })
                    })
                    .join()
                    .unwrap_or(false)
                });
                if ok {
                    return Ok(());
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(io::Error::other("PostgreSQL did not come up"))
    }

    fn admin_url(&self) -> String {
        match &self.external {
            Some(url) => url.clone(),
            None => format!("postgres://postgres@127.0.0.1:{}/postgres", self.port),
        }
    }

    /// A URL of `database` in this cluster.
    pub fn url(&self, database: &str) -> String {
        match &self.external {
            Some(url) => match url.rfind('/') {
                Some(slash) => format!("{}/{database}", &url[..slash]),
                None => url.clone(),
            },
            None => format!("postgres://postgres@127.0.0.1:{}/{database}", self.port),
        }
    }

    /// Creates a new, empty database and returns its URL.
    pub async fn create_database(&self) -> String {
        let name = format!("t_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::PgConnection::connect(&self.admin_url())
            .await
            .expect("an admin connection to the test PostgreSQL");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("CREATE DATABASE");
        let _ = admin.close().await;
        self.url(&name)
    }

    /// Stops PostgreSQL (fast shutdown: sessions are ended, nothing committed is lost).
    pub fn stop(&self) {
        if let Some(mut child) = self.postmaster.lock().unwrap().take() {
            // SAFETY: signalling our own child.
            unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
            let _ = child.wait();
        }
    }

    /// `stop`, waiting without blocking the test's runtime: the servers under test share that
    /// runtime and must see their connections close while it happens.
    pub async fn stop_async(&self) {
        let Some(mut child) = self.postmaster.lock().unwrap().take() else {
            return;
        };
        // SAFETY: signalling our own child.
        unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
        while child.try_wait().ok().flatten().is_none() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Starts it again on the same folder and port, without blocking the test's runtime. The
    /// new postmaster is a child of the calling thread (the test's), which outlives it.
    pub async fn start_again(&self) {
        let data = self.dir.join("data");
        let _ = std::fs::remove_file(data.join("postmaster.pid"));
        let child = self
            .postmaster_command()
            .spawn()
            .expect("PostgreSQL starts again");
        *self.postmaster.lock().unwrap() = Some(child);
        let started = Instant::now();
        loop {
            if sqlx::PgConnection::connect(&self.admin_url()).await.is_ok() {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "PostgreSQL did not come back"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A cluster of one test's own, on its own thread (so the parent-death signal follows this
/// value, not a test thread). Dropped, it stops and its folder goes.
pub struct PrivateCluster {
    cluster: Option<PgCluster>,
    keeper: Option<std::thread::JoinHandle<()>>,
    stop: std::sync::mpsc::Sender<()>,
}

impl std::ops::Deref for PrivateCluster {
    type Target = PgCluster;
    fn deref(&self) -> &PgCluster {
        self.cluster.as_ref().expect("a running cluster")
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        drop(self.cluster.take());
        let _ = self.stop.send(());
        if let Some(keeper) = self.keeper.take() {
            let _ = keeper.join();
        }
    }
}

/// Starts a cluster whose postmaster(s) are children of a keeper thread that lives until the
/// returned handle drops. `start_again` after `stop` is run by the caller's thread, so it too
/// is tied to the test thread; tests that restart keep that thread alive throughout.
pub fn private() -> PrivateCluster {
    let (tx, rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    let keeper = std::thread::spawn(move || {
        let started = PgCluster::start();
        let ok = started.is_ok();
        tx.send(started).unwrap();
        if ok {
            let _ = stop_rx.recv();
        }
    });
    let cluster = rx
        .recv()
        .unwrap()
        .expect("a private PostgreSQL cluster starts");
    PrivateCluster {
        cluster: Some(cluster),
        keeper: Some(keeper),
        stop: stop_tx,
    }
}

/// The cluster all tests of this process share: started once, on a thread that never ends, so
/// it lives exactly as long as the test process.
pub fn shared() -> &'static PgCluster {
    static SHARED: OnceLock<PgCluster> = OnceLock::new();
    SHARED.get_or_init(|| {
        if let Ok(url) = std::env::var("TEST_DATABASE_URL") {
            return PgCluster {
                port: 0,
                dir: PathBuf::new(),
                bin: PathBuf::new(),
                postmaster: Mutex::new(None),
                external: Some(url),
            };
        }
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            tx.send(PgCluster::start()).unwrap();
            loop {
                std::thread::park();
            }
        });
        rx.recv()
            .unwrap()
            .expect("the shared PostgreSQL test cluster starts")
    })
}

/// Debian's `pgbouncer`, if installed.
pub fn pgbouncer_bin() -> Option<PathBuf> {
    ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

/// PgBouncer in transaction mode in front of a cluster: every database of the cluster under
/// the same name, trust on loopback. For the tests (`strict`) it also resets each server
/// connection after every transaction (`server_reset_query_always`), so a statement sent
/// outside a transaction, or one reused by name, fails every time instead of now and then; the
/// benchmark's runs as deployments do. It refuses to run as root: like the cluster, it runs
/// as `postgres`, and dies with the thread that started it.
pub struct Bouncer {
    pub port: u16,
    dir: PathBuf,
    child: Mutex<Option<Child>>,
}

impl Bouncer {
    fn start(cluster_port: u16, strict: bool) -> io::Result<Bouncer> {
        let bin = pgbouncer_bin().ok_or_else(|| io::Error::other("pgbouncer not found"))?;
        let dir = std::env::temp_dir().join(format!(
            "{PREFIX}{}-{}-bouncer",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir)?;
        let port = free_port();
        std::fs::write(dir.join("users.txt"), "\"postgres\" \"\"\n")?;
        let config = format!(
            "[databases]\n* = host=127.0.0.1 port={cluster_port}\n\n[pgbouncer]\n\
             listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n\
             auth_type = trust\nauth_file = {users}\npool_mode = transaction\n\
             server_reset_query = DISCARD ALL\nserver_reset_query_always = {strict}\n\
             max_client_conn = 2000\ndefault_pool_size = 20\nlogfile = {log}\n",
            strict = u8::from(strict),
            users = dir.join("users.txt").display(),
            log = dir.join("pgbouncer.log").display(),
        );
        std::fs::write(dir.join("pgbouncer.ini"), config)?;
        if is_root() {
            let (uid, gid) = postgres_user()?;
            for path in [
                dir.clone(),
                dir.join("users.txt"),
                dir.join("pgbouncer.ini"),
            ] {
                std::os::unix::fs::chown(&path, Some(uid), Some(gid))?;
            }
        }
        let child = as_postgres(&bin)?
            .arg(dir.join("pgbouncer.ini"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let bouncer = Bouncer {
            port,
            dir,
            child: Mutex::new(Some(child)),
        };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if started.elapsed() > Duration::from_secs(10) {
                return Err(io::Error::other("pgbouncer did not come up"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(bouncer)
    }

    /// The URL of `database` through the pooler.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }
}

impl Drop for Bouncer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.lock().unwrap().take() {
            // SAFETY: signalling our own child (SIGTERM: PgBouncer stops at once).
            unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The pooler in front of the shared cluster, started once on a thread that never ends.
pub fn shared_bouncer() -> &'static Bouncer {
    static SHARED: OnceLock<Bouncer> = OnceLock::new();
    SHARED.get_or_init(|| {
        let port = shared().port;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            tx.send(Bouncer::start(port, true)).unwrap();
            loop {
                std::thread::park();
            }
        });
        rx.recv()
            .unwrap()
            .expect("pgbouncer starts in front of the test cluster")
    })
}

/// A pooler of its own in front of `cluster_port`, configured as deployments are (the
/// benchmark's), stopped when dropped.
pub fn private_bouncer(cluster_port: u16) -> io::Result<Bouncer> {
    Bouncer::start(cluster_port, false)
}
