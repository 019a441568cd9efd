//! Recording queries in groups: queries that finish while another's record is being written wait, and are
//! then written together in one transaction (one commit, one sync), each with its own nonce, count, chained
//! audit entry and receipt. Each caller learns its own outcome: a group that fails is written again one
//! query at a time, so one query's refusal is not another's. The writing runs as its own task, so a caller
//! that goes away (its connection closed) cannot cut a commit short and leave the chain's head in memory
//! behind the stored log.

use tokio::sync::oneshot;

use crate::{QueryRecord, Store, StoreError, receipts::Budget};

/// A query waiting for its record to be written.
#[derive(Debug)]
pub(crate) struct Queued {
    nonce: String,
    expires: u64,
    actor: String,
    detail: String,
    receipt_hash: String,
    budget: Option<(String, u32)>,
    done: oneshot::Sender<Result<(), StoreError>>,
}

impl Queued {
    fn record(&self) -> QueryRecord<'_> {
        QueryRecord {
            nonce: &self.nonce,
            expires: self.expires,
            actor: &self.actor,
            detail: &self.detail,
            receipt_hash: &self.receipt_hash,
            budget: self.budget.as_ref().map(|(grant, limit)| Budget {
                grant,
                limit: *limit,
            }),
        }
    }
}

/// The queries waiting, in the order they finished.
pub(crate) type Waiting = std::sync::Arc<std::sync::Mutex<Vec<Queued>>>;

impl Store {
    /// Queues `query` and waits until its record is written, with whichever queries finish meanwhile.
    pub(crate) async fn record_grouped(&self, query: &QueryRecord<'_>) -> Result<(), StoreError> {
        let (done, outcome) = oneshot::channel();
        self.waiting().push(Queued {
            nonce: query.nonce.to_owned(),
            expires: query.expires,
            actor: query.actor.to_owned(),
            detail: query.detail.to_owned(),
            receipt_hash: query.receipt_hash.to_owned(),
            budget: query.budget.map(|b| (b.grant.to_owned(), b.limit)),
            done,
        });
        let store = self.clone();
        tokio::spawn(async move { store.write_waiting().await });
        outcome.await.unwrap_or(Err(StoreError::RecordLost))
    }

    fn waiting(&self) -> std::sync::MutexGuard<'_, Vec<Queued>> {
        self.waiting
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Writes every query waiting once the chain is free (none, when an earlier writer took them).
    async fn write_waiting(&self) {
        let Ok(log) = self.appender().await else {
            // Each learns why from its own attempt.
            let group = std::mem::take(&mut *self.waiting());
            return self.write_one_by_one(group).await;
        };
        let group = std::mem::take(&mut *self.waiting());
        if group.is_empty() {
            return;
        }
        let records: Vec<QueryRecord<'_>> = group.iter().map(Queued::record).collect();
        let written = self.record_in_database(log, &records).await;
        drop(records);
        match written {
            Ok(()) => {
                for queued in group {
                    let _ = queued.done.send(Ok(()));
                }
            }
            Err(error) if group.len() == 1 => {
                let queued = group.into_iter().next();
                if let Some(queued) = queued {
                    let _ = queued.done.send(Err(error));
                }
            }
            Err(_) => self.write_one_by_one(group).await,
        }
    }

    async fn write_one_by_one(&self, group: Vec<Queued>) {
        for queued in group {
            let written = match self.appender().await {
                Ok(log) => self.record_in_database(log, &[queued.record()]).await,
                Err(error) => Err(error),
            };
            let _ = queued.done.send(written);
        }
    }
}
