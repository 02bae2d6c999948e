//! Chains of several frames in one network call (issue 17: many frames on a GPU).
//!
//! A many-frames run keeps `--jobs` frames in flight, each with its own sampler. With
//! `--share-calls` their priors do not each run the network: each frame's call hands its chains
//! to one [`SharedBatch`], and the call runs once every frame in flight has handed its chains
//! in (or the plan's batch is full), as one plan batch of `jobs × samples` images, padded with
//! zeros when fewer frames are in flight. The network body is a function of the image alone
//! (`s_θ(x, β) = body(x)/β`, the division stays with each frame), so frames at different noise
//! levels, or running different samplers, share a call as well as frames in step.
//!
//! The frame that completes the batch (the last to hand its chains in, or the last to leave)
//! runs the network and posts every frame's result; the others wait for theirs. A frame joins
//! when its sampler starts and leaves when it ends ([`Member`] leaves on drop, also on an error
//! or a panic), so a frame still decoding or writing its files never holds the others back.
//!
//! On a CPU, batch-1 plans on separate threads measure faster (`BENCHMARKS.md`); batching pays
//! where one call of many images costs about as much as one of a few, on a GPU.

use anyhow::{anyhow, ensure, Result};
use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// A network over a fixed batch of images: what [`SharedBatch`] runs (the plan state of
/// [`crate::model::ScoreState`], or a stand-in in tests).
pub trait BatchBody: Send {
    /// Images per call (the plan's batch).
    fn batch(&self) -> usize;
    /// Values per image.
    fn image_len(&self) -> usize;
    /// `out ← body(x)` for exactly [`batch`](Self::batch) images.
    fn body(&mut self, x: &[f32], out: &mut [f32]) -> Result<()>;
}

impl BatchBody for crate::model::ScoreState {
    fn batch(&self) -> usize {
        self.batch()
    }
    fn image_len(&self) -> usize {
        self.image_len()
    }
    fn body(&mut self, x: &[f32], out: &mut [f32]) -> Result<()> {
        self.body(x, out)
    }
}

/// One network shared by the frames in flight; see the module's documentation.
pub struct SharedBatch {
    inner: Mutex<Inner>,
    posted: Condvar,
    /// Images per run and values per image (the network's, fixed).
    batch: usize,
    image_len: usize,
}

struct Inner {
    net: Box<dyn BatchBody>,
    /// Frames joined.
    members: usize,
    /// The next run's input: the calls handed in so far fill its first `filled` values.
    x: Vec<f32>,
    filled: usize,
    y: Vec<f32>,
    /// The calls in `x`, in order: ticket and image count.
    waiting: Vec<(u64, usize)>,
    /// Results posted and not yet collected, by ticket.
    results: HashMap<u64, std::result::Result<Vec<f32>, String>>,
    next_ticket: u64,
}

impl SharedBatch {
    /// A shared network over `net`'s plan batch.
    pub fn new(net: Box<dyn BatchBody>) -> Self {
        let (batch, image_len) = (net.batch(), net.image_len());
        Self {
            inner: Mutex::new(Inner {
                net,
                members: 0,
                x: vec![0.0; batch * image_len],
                filled: 0,
                y: vec![0.0; batch * image_len],
                waiting: Vec::new(),
                results: HashMap::new(),
                next_ticket: 0,
            }),
            posted: Condvar::new(),
            batch,
            image_len,
        }
    }

    /// Joins as one frame; the frame leaves when the [`Member`] drops.
    pub fn join(self: &Arc<Self>) -> Result<Member> {
        self.lock()?.members += 1;
        Ok(Member {
            shared: Arc::clone(self),
        })
    }

    /// Images per network run (the plan's batch).
    pub fn batch(&self) -> usize {
        self.batch
    }

    fn lock(&self) -> Result<MutexGuard<'_, Inner>> {
        self.inner
            .lock()
            .map_err(|_| anyhow!("a frame panicked inside the shared network call"))
    }

    /// Hands in `x` (whole images), waits for the batch to run, writes `body(x)` into `out`.
    fn call(&self, x: &[f32], out: &mut [f32]) -> Result<()> {
        let (batch, image_len) = (self.batch, self.image_len);
        ensure!(
            x.len() == out.len() && x.len().is_multiple_of(image_len),
            "shared network call: {} values in, {} out, for images of {image_len} values",
            x.len(),
            out.len()
        );
        let images = x.len() / image_len;
        ensure!(
            images <= batch,
            "shared network call: {images} images, but the plan's batch is {batch}"
        );
        let mut g = self.lock()?;
        if g.filled + x.len() > g.x.len() {
            g.run();
            self.posted.notify_all();
        }
        let ticket = g.next_ticket;
        g.next_ticket += 1;
        let at = g.filled;
        g.x[at..at + x.len()].copy_from_slice(x);
        g.filled += x.len();
        g.waiting.push((ticket, images));
        if g.run_if_complete() {
            self.posted.notify_all();
        }
        loop {
            if let Some(r) = g.results.remove(&ticket) {
                let y = r.map_err(|e| anyhow!("shared network call: {e}"))?;
                out.copy_from_slice(&y);
                return Ok(());
            }
            g = self
                .posted
                .wait(g)
                .map_err(|_| anyhow!("a frame panicked inside the shared network call"))?;
        }
    }

    fn leave(&self) {
        // A poisoned lock means a frame panicked while running the batch: the waiters see it.
        if let Ok(mut g) = self.inner.lock() {
            g.members -= 1;
            if g.run_if_complete() {
                self.posted.notify_all();
            }
        }
    }
}

impl Inner {
    /// Runs the calls waiting once every frame joined has handed one in; whether it ran.
    fn run_if_complete(&mut self) -> bool {
        let complete = !self.waiting.is_empty() && self.waiting.len() >= self.members;
        if complete {
            self.run();
        }
        complete
    }

    /// Runs the calls waiting (zero-padded to the plan batch) and posts each one's result.
    fn run(&mut self) {
        if self.waiting.is_empty() {
            return;
        }
        self.x[self.filled..].fill(0.0);
        let r = self.net.body(&self.x, &mut self.y);
        let image_len = self.net.image_len();
        let mut at = 0;
        for (ticket, images) in self.waiting.drain(..) {
            let len = images * image_len;
            let result = match &r {
                Ok(()) => Ok(self.y[at..at + len].to_vec()),
                Err(e) => Err(format!("{e:#}")),
            };
            at += len;
            self.results.insert(ticket, result);
        }
        self.filled = 0;
    }
}

/// One frame's place in a [`SharedBatch`]; leaves it when dropped.
pub struct Member {
    shared: Arc<SharedBatch>,
}

impl Member {
    /// `out ← body(x)` for this frame's chains (whole images, at most the plan's batch),
    /// run together with the other frames' calls.
    pub fn call(&mut self, x: &[f32], out: &mut [f32]) -> Result<()> {
        self.shared.call(x, out)
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        self.shared.leave();
    }
}

impl std::fmt::Debug for Member {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Member")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `body(x) = 2x + 1`; records each run's input; fails on run `fail_at` (0-based).
    struct Affine {
        batch: usize,
        image_len: usize,
        inputs: Seen,
        fail_at: Option<usize>,
    }

    impl BatchBody for Affine {
        fn batch(&self) -> usize {
            self.batch
        }
        fn image_len(&self) -> usize {
            self.image_len
        }
        fn body(&mut self, x: &[f32], out: &mut [f32]) -> Result<()> {
            let mut inputs = self.inputs.lock().unwrap();
            inputs.push(x.to_vec());
            if self.fail_at == Some(inputs.len() - 1) {
                anyhow::bail!("device lost");
            }
            for (o, v) in out.iter_mut().zip(x) {
                *o = 2.0 * v + 1.0;
            }
            Ok(())
        }
    }

    /// The inputs of every run, as the network saw them.
    type Seen = Arc<Mutex<Vec<Vec<f32>>>>;

    fn shared(batch: usize, image_len: usize, fail_at: Option<usize>) -> (Arc<SharedBatch>, Seen) {
        let inputs = Arc::new(Mutex::new(Vec::new()));
        let net = Affine {
            batch,
            image_len,
            inputs: Arc::clone(&inputs),
            fail_at,
        };
        (Arc::new(SharedBatch::new(Box::new(net))), inputs)
    }

    /// Images the runs carried: those not all zero (the padding; every image handed in has a
    /// non-zero value).
    fn images_carried(inputs: &Seen, image_len: usize) -> usize {
        let inputs = inputs.lock().unwrap();
        inputs
            .iter()
            .flat_map(|x| x.chunks(image_len))
            .filter(|img| img.iter().any(|&v| v != 0.0))
            .count()
    }

    /// Members `calls[k]` calls each, two images of three values per call, all at once; each
    /// checks every result. Returns the errors each member met.
    fn run_members(s: &Arc<SharedBatch>, calls: &[usize]) -> Vec<Option<String>> {
        // Every frame joins before any calls, so that the runs are in step.
        let members: Vec<Member> = calls.iter().map(|_| s.join().unwrap()).collect();
        std::thread::scope(|scope| {
            let handles: Vec<_> = members
                .into_iter()
                .zip(calls)
                .enumerate()
                .map(|(k, (mut member, &n))| {
                    scope.spawn(move || {
                        for c in 0..n {
                            let x: Vec<f32> =
                                (0..6).map(|i| (k * 1000 + c * 10 + i) as f32).collect();
                            let mut out = vec![0.0; 6];
                            if let Err(e) = member.call(&x, &mut out) {
                                return Some(format!("{e:#}"));
                            }
                            for (o, v) in out.iter().zip(&x) {
                                assert_eq!(*o, 2.0 * v + 1.0, "member {k}, call {c}");
                            }
                        }
                        None
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        })
    }

    #[test]
    fn frames_in_step_share_every_call() {
        let (s, inputs) = shared(6, 3, None);
        let errors = run_members(&s, &[4, 4, 4]);
        assert!(errors.iter().all(Option::is_none), "{errors:?}");
        // Three frames of two images each in every run: four runs of six images.
        assert_eq!(inputs.lock().unwrap().len(), 4);
        assert_eq!(images_carried(&inputs, 3), 4 * 6);
    }

    #[test]
    fn a_frame_that_leaves_early_does_not_hold_the_others() {
        let (s, inputs) = shared(6, 3, None);
        let errors = run_members(&s, &[1, 5, 3]);
        assert!(errors.iter().all(Option::is_none), "{errors:?}");
        // Every call carried once; at least as many runs as the longest frame's calls.
        assert_eq!(images_carried(&inputs, 3), 2 * (1 + 5 + 3));
        let runs = inputs.lock().unwrap().len();
        assert!((5..=9).contains(&runs), "{runs} runs");
    }

    #[test]
    fn a_smaller_batch_is_padded_with_zeros() {
        let (s, inputs) = shared(4, 3, None);
        let errors = run_members(&s, &[1]);
        assert_eq!(errors, vec![None]);
        let inputs = inputs.lock().unwrap();
        assert_eq!(inputs.len(), 1);
        assert_eq!(inputs[0].len(), 12);
        assert_eq!(&inputs[0][..6], &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
        assert!(inputs[0][6..].iter().all(|&v| v == 0.0));
    }

    #[test]
    fn a_failed_run_reaches_every_frame_in_it() {
        let (s, _) = shared(6, 3, Some(1));
        let errors = run_members(&s, &[3, 3, 3]);
        for e in &errors {
            let e = e.as_deref().expect("the second run failed for every frame");
            assert!(e.contains("shared network call: device lost"), "{e}");
        }
    }

    #[test]
    fn calls_that_do_not_fit_are_refused() {
        let (s, inputs) = shared(2, 3, None);
        let mut m = s.join().unwrap();
        let mut out = vec![0.0; 9];
        let e = m.call(&[0.0; 9], &mut out).unwrap_err().to_string();
        assert!(e.contains("3 images, but the plan's batch is 2"), "{e}");
        let mut out = vec![0.0; 4];
        let e = m.call(&[0.0; 4], &mut out).unwrap_err().to_string();
        assert!(
            e.contains("4 values in, 4 out, for images of 3 values"),
            "{e}"
        );
        assert!(inputs.lock().unwrap().is_empty());
    }
}
