//! One stable sort for the whole browser app.
//!
//! `slice::sort_by` is generic over the element and the comparison, so each call site with its own
//! closure brings its own copy of the standard library's sort (about 3 KB of wasm each, issue 13).
//! [`stable_by`] sorts the positions `0..n` instead, through a single instantiation that takes the
//! comparison as `&dyn Fn`, then moves the items into that order: the same order `sort_by` gives
//! (stable: equal items keep their order), for lists of a few hundred rows at most.

use std::cmp::Ordering;

/// Sorts `items` by `compare`, stably, exactly as `items.sort_by(compare)` would.
pub fn stable_by<T>(items: &mut Vec<T>, compare: impl Fn(&T, &T) -> Ordering) {
    let mut order: Vec<usize> = (0..items.len()).collect();
    sort_positions(&mut order, &|a, b| compare(&items[a], &items[b]));
    let mut slots: Vec<Option<T>> = items.drain(..).map(Some).collect();
    items.extend(order.into_iter().filter_map(|i| slots[i].take()));
}

/// The one instantiation of the standard library's stable sort.
#[inline(never)]
fn sort_positions(order: &mut [usize], compare: &dyn Fn(usize, usize) -> Ordering) {
    order.sort_by(|&a, &b| compare(a, b));
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The same order as `sort_by`, equal keys included (the second field tells them apart).
        #[test]
        fn orders_as_the_standard_stable_sort(keys in proptest::collection::vec(0u8..6, 0..60)) {
            let items: Vec<(u8, usize)> = keys.into_iter().enumerate().map(|(i, k)| (k, i)).collect();
            let mut expected = items.clone();
            expected.sort_by_key(|x| std::cmp::Reverse(x.0));
            let mut got = items;
            stable_by(&mut got, |a, b| b.0.cmp(&a.0));
            prop_assert_eq!(got, expected);
        }
    }
}
