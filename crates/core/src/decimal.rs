//! `format!("{x:.N}")` for `f64` without the standard library's float formatting.
//!
//! Money and durations are shown with a fixed number of decimals. `format!` would do it, but any
//! `f64` formatted through `Display` brings core's whole float printer (Grisu, Dragon and their
//! tables: about 12 KB of the browser app's wasm, issue 13). [`fixed`] gives the very same text:
//! the exact decimal value of the `f64`, rounded half to even at the last kept decimal, as
//! `format!` does since Rust 1.67 (proven against it by the property test below).

/// `x` with `decimals` decimals, exactly as `format!("{x:.decimals$}")` writes it.
pub fn fixed(x: f64, decimals: usize) -> String {
    if x.is_nan() {
        return "NaN".to_string();
    }
    let sign = if x.is_sign_negative() { "-" } else { "" };
    if x.is_infinite() {
        return format!("{sign}inf");
    }
    // |x| = mantissa × 2^exp, exactly.
    let bits = x.to_bits();
    let raw_exp = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1u64 << 52) - 1);
    let (mantissa, exp) = if raw_exp == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1u64 << 52), raw_exp - 1075)
    };
    // The exact decimal digits of |x| (most significant first) and how many of them are after
    // the point: mantissa × 2^exp, or mantissa × 5^k / 10^k when exp = -k.
    let mut digits = Digits::from(mantissa);
    let mut after_point = 0usize;
    if exp >= 0 {
        for _ in 0..exp {
            digits.mul_small(2);
        }
    } else {
        for _ in 0..-exp {
            digits.mul_small(5);
        }
        after_point = (-exp) as usize;
    }
    let mut d = digits.into_decimal();
    // At least one digit before the point.
    while d.len() <= after_point {
        d.insert(0, 0);
    }
    let int_len = d.len() - after_point;
    let keep = int_len + decimals;
    if keep < d.len() {
        let dropped = &d[keep..];
        let above_half = match dropped[0].cmp(&5) {
            std::cmp::Ordering::Greater => true,
            std::cmp::Ordering::Less => false,
            std::cmp::Ordering::Equal => {
                dropped[1..].iter().any(|&x| x != 0) || d[keep - 1] % 2 == 1
            }
        };
        d.truncate(keep);
        if above_half {
            let mut i = keep;
            loop {
                if i == 0 {
                    d.insert(0, 1);
                    break;
                }
                i -= 1;
                if d[i] == 9 {
                    d[i] = 0;
                } else {
                    d[i] += 1;
                    break;
                }
            }
        }
    } else {
        d.resize(keep, 0);
    }
    let int_len = d.len() - decimals;
    let mut out = String::with_capacity(d.len() + 2);
    out.push_str(sign);
    // Leading zeros of the integer part go, but one digit stays.
    let first = d[..int_len - 1].iter().take_while(|&&x| x == 0).count();
    out.extend(d[first..int_len].iter().map(|&x| char::from(b'0' + x)));
    if decimals > 0 {
        out.push('.');
        out.extend(d[int_len..].iter().map(|&x| char::from(b'0' + x)));
    }
    out
}

/// A natural number as base-10⁹ limbs, least significant first.
struct Digits(Vec<u32>);

impl Digits {
    const BASE: u64 = 1_000_000_000;

    fn from(mut n: u64) -> Digits {
        let mut limbs = Vec::new();
        while n > 0 {
            limbs.push((n % Self::BASE) as u32);
            n /= Self::BASE;
        }
        Digits(limbs)
    }

    fn mul_small(&mut self, m: u64) {
        let mut carry = 0u64;
        for limb in &mut self.0 {
            let v = u64::from(*limb) * m + carry;
            *limb = (v % Self::BASE) as u32;
            carry = v / Self::BASE;
        }
        while carry > 0 {
            self.0.push((carry % Self::BASE) as u32);
            carry /= Self::BASE;
        }
    }

    /// The decimal digits, most significant first, without leading zeros (empty for zero).
    fn into_decimal(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.0.len() * 9);
        for (i, limb) in self.0.iter().rev().enumerate() {
            let mut chunk = [0u8; 9];
            let mut v = *limb;
            for slot in chunk.iter_mut().rev() {
                *slot = (v % 10) as u8;
                v /= 10;
            }
            if i == 0 {
                let skip = chunk.iter().take_while(|&&x| x == 0).count();
                out.extend_from_slice(&chunk[skip..]);
            } else {
                out.extend_from_slice(&chunk);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_as_format_does_on_the_usual_and_the_edge_cases() {
        let cases = [
            0.0,
            -0.0,
            0.5,
            1.5,
            2.5,
            0.125,
            0.375,
            0.005,
            0.015,
            1.005,
            0.045,
            9.995,
            99.999,
            0.0001,
            0.00005,
            0.00015,
            1e-300,
            5e-324,
            1e21,
            1.7976931348623157e308,
            123456.789,
            -0.004,
            -1.5,
            0.3,
            2.675,
            1.8,
            0.4,
            0.03,
            0.0123,
        ];
        for x in cases {
            for p in 0..=6 {
                assert_eq!(fixed(x, p), format!("{x:.p$}"), "{x:e} with {p} decimals");
            }
        }
        assert_eq!(fixed(f64::NAN, 2), format!("{:.2}", f64::NAN));
        assert_eq!(fixed(f64::INFINITY, 2), format!("{:.2}", f64::INFINITY));
        assert_eq!(
            fixed(f64::NEG_INFINITY, 1),
            format!("{:.1}", f64::NEG_INFINITY)
        );
    }

    proptest! {
        /// Any bit pattern, any precision up to 8: the same text as `format!`.
        #[test]
        fn any_f64_reads_as_format_does(bits in any::<u64>(), p in 0usize..=8) {
            let x = f64::from_bits(bits);
            prop_assert_eq!(fixed(x, p), format!("{x:.p$}"));
        }

        /// Amounts of money and durations as the app has them: hundredths, thousandths and
        /// products of prices and seconds, near the rounding points.
        #[test]
        fn amounts_read_as_format_does(
            n in 0u32..10_000_000,
            scale in prop::sample::select(vec![1.0, 10.0, 100.0, 1000.0, 8.0, 3600.0]),
            hours in 0.0f64..100.0,
            p in 0usize..=4,
        ) {
            let x = f64::from(n) / scale;
            prop_assert_eq!(fixed(x, p), format!("{x:.p$}"));
            let y = x * hours / 3600.0;
            prop_assert_eq!(fixed(y, p), format!("{y:.p$}"));
        }
    }
}
