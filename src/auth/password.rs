//! Passwords: argon2id hashing and verification, on a few threads of their own (one per core),
//! so a login flood queues instead of starving the async workers or eating memory (each hash
//! works in about 19 MiB).
//!
//! Those threads run at a lower scheduling priority (nice 5) than the web workers: a core
//! hashing a password gives way at once to a request that wakes up, so `/userinfo` keeps its
//! latency during a login flood, while argon2 still has every cycle nobody else wants and,
//! when the cores are saturated by reads, still about a quarter of a core each (Linux weighs
//! nice 5 at 335 against 1024). Nice 10 (weight 110) starved logins under a read flood: 400
//! readers beside 64 logging-in clients timed some logins out after 10 s. Each
//! thread keeps its argon2 memory between verifications: a fresh 19 MiB mapping per login cost
//! its page faults and, on release, a TLB flush on every core running this process.
//!
//! The queue is bounded: past [`WAITING_PER_THREAD`] hashes per thread (a few seconds of work)
//! a login is answered `503` with `Retry-After` at once rather than after a wait its client
//! would give up on. A job whose asker has gone away (a closed connection, a timeout) is
//! dropped unrun, so abandoned logins cost no argon2 time.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use argon2::password_hash::{Output, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, PasswordHasher, Version};
use secrecy::{ExposeSecret, SecretString};

use crate::error::AppError;

/// OWASP's argon2id recommendation: 19 MiB of memory, 2 passes, 1 lane.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).expect("constant argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Work for a hashing thread, given that thread's argon2 memory.
type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

/// How much nicer than the web workers the hashing threads are.
const HASHING_NICENESS: i32 = 5;

/// Hashes allowed to wait per hashing thread: at ~30 ms each, about 4 s of work.
pub const WAITING_PER_THREAD: usize = 128;

#[derive(Clone)]
pub struct Passwords {
    jobs: mpsc::SyncSender<Job>,
    /// Hashes waiting for a thread: the queue a login flood builds (a metric).
    waiting: Arc<AtomicUsize>,
    /// Verified against when a userId is unknown, so that case costs what a wrong password costs.
    dummy_hash: Arc<str>,
}

impl Passwords {
    /// Starts one hashing thread per core (they end when the last `Passwords` is dropped) and
    /// makes the dummy hash once (one argon2 run, ~30 ms) so it has the real parameters.
    pub async fn new() -> Result<Self, AppError> {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        Self::start(cores, cores * WAITING_PER_THREAD).await
    }

    async fn start(threads: usize, max_waiting: usize) -> Result<Self, AppError> {
        let (jobs, queue) = mpsc::sync_channel::<Job>(max_waiting);
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..threads {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || hashing_thread(&queue))
                .map_err(AppError::internal)?;
        }
        let mut passwords = Self {
            jobs,
            waiting: Arc::default(),
            dummy_hash: Arc::from(""),
        };
        let dummy = SecretString::from(uuid::Uuid::new_v4().to_string());
        passwords.dummy_hash = passwords.run(move |_| hash_now(&dummy)).await??.into();
        Ok(passwords)
    }

    /// How many hashes are waiting for a thread right now.
    pub fn queue_depth(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// Runs `work` on a hashing thread and waits for its answer; `Busy` at once when the
    /// queue is full.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let waiting = self.waiting.clone();
        waiting.fetch_add(1, Ordering::Relaxed);
        let job: Job = Box::new(move |blocks| {
            waiting.fetch_sub(1, Ordering::Relaxed);
            // The asker went away while this waited: nobody needs the answer.
            if answer.is_closed() {
                return;
            }
            let _ = answer.send(work(blocks));
        });
        if let Err(refused) = self.jobs.try_send(job) {
            self.waiting.fetch_sub(1, Ordering::Relaxed);
            return Err(match refused {
                mpsc::TrySendError::Full(_) => AppError::Busy,
                mpsc::TrySendError::Disconnected(_) => {
                    AppError::internal("the password threads have stopped")
                }
            });
        }
        answered.await.map_err(AppError::internal)
    }

    pub async fn hash(&self, password: SecretString) -> Result<String, AppError> {
        self.run(move |_| hash_now(&password)).await?
    }

    /// True when `password` matches `stored_hash`. With no stored hash (unknown user) it
    /// spends the same time on the dummy hash and answers false.
    pub async fn verify(
        &self,
        password: SecretString,
        stored_hash: Option<String>,
    ) -> Result<bool, AppError> {
        let known = stored_hash.is_some();
        let hash = stored_hash.unwrap_or_else(|| self.dummy_hash.to_string());
        let matched = self
            .run(move |blocks| verify_now(&password, &hash, blocks))
            .await?;
        Ok(known && matched)
    }
}

/// One hashing thread: lowers its own priority, then runs jobs until every sender is gone.
fn hashing_thread(queue: &Mutex<mpsc::Receiver<Job>>) {
    lower_priority();
    let mut blocks = Vec::new();
    loop {
        let job = match queue.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        // A job that panics loses its answer (the asker gets a 500), not the thread.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&mut blocks)));
    }
}

/// Linux keeps a nice value per thread: this lowers the calling thread's alone.
#[cfg(target_os = "linux")]
fn lower_priority() {
    // SAFETY: setpriority only changes the scheduling priority of the calling thread.
    let done = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, HASHING_NICENESS) };
    if done != 0 {
        tracing::debug!("could not lower the priority of a password thread");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

pub fn hash_now(password: &SecretString) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    argon2()
        .hash_password(password.expose_secret().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::internal(e.to_string()))
}

/// argon2's own verification (`PasswordVerifier`), computed in `blocks` (resized as the
/// stored hash's parameters need) instead of a fresh allocation.
fn verify_now(password: &SecretString, hash: &str, blocks: &mut Vec<Block>) -> bool {
    // A stored hash that does not parse can never match; it is not the client's fault, so log it.
    let parsed = match PasswordHash::new(hash) {
        Ok(parsed) => parsed,
        Err(e) => {
            tracing::error!(error = %e, "a stored password hash does not parse");
            return false;
        }
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let setup = || -> Option<(Argon2<'static>, Params)> {
        let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
        let version = match parsed.version {
            Some(v) => Version::try_from(v).ok()?,
            None => Version::default(),
        };
        let params = Params::try_from(&parsed).ok()?;
        Some((Argon2::new(algorithm, version, params.clone()), params))
    };
    let Some((argon2, params)) = setup() else {
        tracing::error!("a stored password hash has parameters argon2 refuses");
        return false;
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    blocks.resize(params.block_count(), Block::default());
    let computed = Output::init_with(expected.len(), |out| {
        argon2
            .hash_password_into_with_memory(
                password.expose_secret().as_bytes(),
                salt,
                out,
                &mut blocks[..],
            )
            .map_err(|_| argon2::password_hash::Error::Crypto)
    });
    // `Output`'s equality is constant-time.
    computed.is_ok_and(|computed| computed == expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let passwords = Passwords::new().await.unwrap();
        let hash = passwords.hash(SecretString::from("1234")).await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(
            passwords
                .verify(SecretString::from("1234"), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(
            !passwords
                .verify(SecretString::from("12345"), Some(hash))
                .await
                .unwrap()
        );
    }

    /// The hashing threads exist, one per core, and yield to the web workers.
    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn hashing_runs_on_nicer_threads_of_its_own() {
        let passwords = Passwords::new().await.unwrap();
        let hash = passwords.hash(SecretString::from("1234")).await.unwrap();
        assert!(
            passwords
                .verify(SecretString::from("1234"), Some(hash))
                .await
                .unwrap()
        );
        let mut niceness = Vec::new();
        for task in std::fs::read_dir("/proc/self/task").unwrap() {
            let dir = task.unwrap().path();
            let name = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
            if name.starts_with("argon2-") {
                let stat = std::fs::read_to_string(dir.join("stat")).unwrap();
                // Fields after the command name (which ends with ')'): the 17th is `nice`.
                let after = &stat[stat.rfind(')').unwrap() + 2..];
                niceness.push(after.split(' ').nth(16).unwrap().parse::<i32>().unwrap());
            }
        }
        // Other tests in this process may run theirs too: at least ours are there.
        let cores = std::thread::available_parallelism().unwrap().get();
        assert!(niceness.len() >= cores, "{niceness:?}");
        assert!(
            niceness.iter().all(|&n| n == HASHING_NICENESS),
            "{niceness:?}"
        );
        assert_eq!(passwords.queue_depth(), 0);
    }

    /// Holds every hashing thread of `passwords` until the returned sender is dropped.
    async fn occupy(passwords: &Passwords, threads: usize) -> Vec<std::sync::mpsc::Sender<()>> {
        let mut releases = Vec::new();
        let (started, mut all_started) = tokio::sync::mpsc::unbounded_channel();
        for _ in 0..threads {
            let (release, released) = std::sync::mpsc::channel::<()>();
            let started = started.clone();
            let passwords = passwords.clone();
            tokio::spawn(async move {
                passwords
                    .run(move |_| {
                        let _ = started.send(());
                        let _ = released.recv();
                    })
                    .await
            });
            releases.push(release);
        }
        for _ in 0..threads {
            all_started.recv().await.unwrap();
        }
        releases
    }

    #[tokio::test]
    async fn a_login_whose_client_left_costs_no_hashing() {
        let passwords = Passwords::start(1, 8).await.unwrap();
        let releases = occupy(&passwords, 1).await;
        let ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = ran.clone();
        let abandoned = passwords.run(move |_| flag.store(true, Ordering::SeqCst));
        // The client goes away while its login waits for a thread.
        let waited = tokio::time::timeout(std::time::Duration::from_millis(20), abandoned).await;
        assert!(waited.is_err(), "the thread was busy: the job had to wait");
        assert_eq!(passwords.queue_depth(), 1);
        drop(releases);
        // A job queued behind it runs; by then the abandoned one was taken and skipped.
        passwords.run(|_| ()).await.unwrap();
        assert!(!ran.load(Ordering::SeqCst), "an abandoned job was run");
        assert_eq!(passwords.queue_depth(), 0);
    }

    #[tokio::test]
    async fn a_full_queue_answers_busy_at_once_and_drains() {
        let passwords = Passwords::start(1, 2).await.unwrap();
        let releases = occupy(&passwords, 1).await;
        let queued: Vec<_> = (0..2)
            .map(|_| {
                tokio::spawn({
                    let passwords = passwords.clone();
                    async move { passwords.run(|_| 7).await }
                })
            })
            .collect();
        while passwords.queue_depth() < 2 {
            tokio::task::yield_now().await;
        }
        let refused = passwords.run(|_| 7).await;
        assert!(
            matches!(refused, Err(AppError::Busy)),
            "a third waiter is turned away"
        );
        drop(releases);
        for job in queued {
            assert_eq!(
                job.await.unwrap().unwrap(),
                7,
                "those already queued are served"
            );
        }
        assert_eq!(
            passwords.run(|_| 8).await.unwrap(),
            8,
            "room again once drained"
        );
    }

    #[tokio::test]
    async fn unknown_users_never_verify() {
        let passwords = Passwords::new().await.unwrap();
        assert!(
            !passwords
                .verify(SecretString::from("anything"), None)
                .await
                .unwrap()
        );
    }
}
