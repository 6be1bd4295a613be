//! Partition tables — being written; see issue 4.
