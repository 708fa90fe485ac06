// Fused Hedgehog linear attention: forward (two passes and a fixed-order reduction) and backward.
// See linear_attention.h for the maths. Tensor-core products go through WMMA (sm_80 and later: the
// same code builds for sm_80, sm_89 and sm_90a); partial states never leave float32.
#include "kernels/linear_attention.h"

#include <cuda_bf16.h>
#include <mma.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <type_traits>

namespace linvideo::kernels {
namespace {

using namespace nvcuda;
using bf16 = __nv_bfloat16;

// ---- tensor-core types: bf16 multiplies in bf16 (k = 16), float32 in TF32 (k = 8) -------------
template <class T> struct Mma;
template <> struct Mma<bf16> {
  using prec = bf16;
  static constexpr int K = 16;
};
template <> struct Mma<float> {
  using prec = wmma::precision::tf32;
  static constexpr int K = 8;
};
template <class T, class L>
using FragA = wmma::fragment<wmma::matrix_a, 16, 16, Mma<T>::K, typename Mma<T>::prec, L>;
template <class T, class L>
using FragB = wmma::fragment<wmma::matrix_b, 16, 16, Mma<T>::K, typename Mma<T>::prec, L>;
template <class T>
using FragC = wmma::fragment<wmma::accumulator, 16, 16, Mma<T>::K, float>;
using RowM = wmma::row_major;
using ColM = wmma::col_major;

template <class T, class Frag>
__device__ __forceinline__ void load_frag(Frag& f, const T* p, unsigned ld) {
  wmma::load_matrix_sync(f, p, ld);
  if constexpr (std::is_same_v<T, float>) {
#pragma unroll
    for (int i = 0; i < f.num_elements; ++i) f.x[i] = wmma::__float_to_tf32(f.x[i]);
  }
}

// Element offset of (row, col) of a matrix stored row- or column-major with leading dimension ld.
template <class L>
__device__ __forceinline__ int at(int row, int col, int ld) {
  if constexpr (std::is_same_v<L, RowM>) return row * ld + col;
  else return col * ld + row;
}

__device__ __forceinline__ float to_f(float x) { return x; }
__device__ __forceinline__ float to_f(bf16 x) { return __bfloat162float(x); }
template <class T> __device__ __forceinline__ T cast_to(float x);
template <> __device__ __forceinline__ float cast_to<float>(float x) { return x; }
template <> __device__ __forceinline__ bf16 cast_to<bf16>(float x) { return __float2bfloat16(x); }
// The value the tensor cores will see for x (bf16 rounding, or TF32 rounding).
template <class T> __device__ __forceinline__ float mma_round(float x);
template <> __device__ __forceinline__ float mma_round<bf16>(float x) { return __bfloat162float(__float2bfloat16(x)); }
template <> __device__ __forceinline__ float mma_round<float>(float x) { return wmma::__float_to_tf32(x); }

__device__ __forceinline__ float warp_sum(float x) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) x += __shfl_xor_sync(0xffffffffu, x, o);
  return x;
}
__device__ __forceinline__ float warp_max(float x) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, o));
  return x;
}
__device__ __forceinline__ float warp_min(float x) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) x = fminf(x, __shfl_xor_sync(0xffffffffu, x, o));
  return x;
}

// ---- asynchronous 16-byte copies (sm_80+) -------------------------------------------------------
__device__ __forceinline__ void cp_async16(void* smem, const void* gmem, int src_bytes) {
  const unsigned s = static_cast<unsigned>(__cvta_generic_to_shared(smem));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(s), "l"(gmem), "r"(src_bytes));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int N>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}

// ---- shapes of one instantiation ----------------------------------------------------------------
constexpr std::size_t align_up(std::size_t x) { return (x + 127) & ~std::size_t(127); }
constexpr std::size_t kMaxSmem = 227 * 1024;  // Hopper's per-block opt-in limit

// BIG: the Hopper configuration (large token tiles, the state in shared memory). Otherwise the
// compact one for cards with less shared memory per block (A100: 163 KiB, RTX 4090: 99 KiB):
// 16-token tiles, the state read through L1/L2.
template <class T, int D_, bool BIG = true>
struct Cfg {
  static constexpr int D = D_;
  static constexpr int NW = D / 8;  // warps: one per 16 of the 2D feature rows of a state
  static constexpr int NT = NW * 32;
  static constexpr int E = D / 32;  // columns of a D-row per lane
  static constexpr int PAD = 16 / int(sizeof(T));
  static constexpr int LDX = D + PAD;       // [rows][D] tiles in the input type
  static constexpr int LDP = 2 * D + PAD;   // [rows][2D] feature maps in the input type
  static constexpr int LDA = D + 4;         // [rows][D] float32
  static constexpr int LDG = 2 * D + 4;     // [rows][2D] float32
  static constexpr int TT_F = !BIG ? 16 : std::is_same_v<T, bf16> ? 64 : 32;  // forward token tile
  static constexpr int TT_B = !BIG ? 16 : std::is_same_v<T, bf16> ? 32 : 16;  // backward token tile
  static constexpr int VEC = 16 / int(sizeof(T));                 // elements per 16-byte access
  static constexpr std::size_t W_BYTES = std::size_t(D) * LDX * sizeof(T);
  static constexpr std::size_t STATE_BYTES = std::size_t(2 * D) * LDX * sizeof(T);
};

// Shared-memory carve-up: a bump allocator over the dynamic buffer, each piece 128-byte aligned.
struct Carve {
  char* base;
  std::size_t used = 0;
  template <class U>
  __device__ U* take(std::size_t count) {
    U* p = reinterpret_cast<U*>(base + used);
    used += align_up(count * sizeof(U));
    return p;
  }
};

// Bytes of each kernel's shared memory (host and device agree through these).
template <class T, int D, bool BIG>
struct Smem {
  using C = Cfg<T, D, BIG>;
  static constexpr std::size_t tile(int tt) { return align_up(std::size_t(tt) * C::LDX * sizeof(T)); }
  static constexpr std::size_t f32(int tt, int ld) { return align_up(std::size_t(tt) * ld * sizeof(float)); }
  static constexpr std::size_t phi(int tt) { return align_up(std::size_t(tt) * C::LDP * sizeof(T)); }
  static constexpr std::size_t vec(int n) { return align_up(std::size_t(n) * sizeof(float)); }
  static constexpr std::size_t W = align_up(C::W_BYTES);
  static constexpr std::size_t S = align_up(C::STATE_BYTES);
  // pass 1: W, A, phi, 2 stages of (x, v); z reduction reuses A
  static constexpr std::size_t state = W + f32(C::TT_F, C::LDA) + phi(C::TT_F) + 4 * tile(C::TT_F);
  // pass 2 without S: W, z, A, phi, den, 2 stages of x; S in shared memory when it fits
  static constexpr std::size_t apply_base =
      W + vec(2 * D) + f32(C::TT_F, C::LDA) + phi(C::TT_F) + vec(C::TT_F) + 2 * tile(C::TT_F);
  static constexpr bool apply_s_smem = BIG && apply_base + S <= kMaxSmem;
  static constexpr std::size_t apply = apply_base + (apply_s_smem ? S : 0);
  // backward over q, first kernel: W, z, x, g, A, phi, den, dden (+ S)
  static constexpr std::size_t bq1_base = W + vec(3 * D) + 2 * tile(C::TT_B) + f32(C::TT_B, C::LDA) +
                                          phi(C::TT_B) + 2 * vec(C::TT_B) + vec(C::NW * 2 * D);
  static constexpr bool bq1_s_smem = BIG && bq1_base + S <= kMaxSmem;
  static constexpr std::size_t bq1 = bq1_base + (bq1_s_smem ? S : 0);
  // backward over q, second kernel and backward over k: + dphi (float32 [TT][2D]) and dA
  static constexpr std::size_t bq2_base = bq1_base + f32(C::TT_B, C::LDG) + tile(C::TT_B);
  static constexpr bool bq2_s_smem = BIG && bq2_base + S <= kMaxSmem;
  static constexpr std::size_t bq2 = bq2_base + (bq2_s_smem ? S : 0);
  static constexpr std::size_t bkv_base = W + vec(3 * D) + 2 * tile(C::TT_B) + f32(C::TT_B, C::LDA) +
                                          phi(C::TT_B) + f32(C::TT_B, C::LDG) + tile(C::TT_B);
  static constexpr bool bkv_s_smem = BIG && bkv_base + S <= kMaxSmem;
  static constexpr std::size_t bkv = bkv_base + (bkv_s_smem ? S : 0);
};

// ---- block-wide building blocks -------------------------------------------------------------------
// C[M x N] (float32, shared, ldc) = A[M x K] B[K x N]; the 16x16 output tiles are dealt round the warps.
template <class T, int M, int N, int K, class LA, class LB, int NW>
__device__ void gemm_to(const T* A, int lda, const T* B, int ldb, float* C, int ldc, int warp) {
  constexpr int KS = Mma<T>::K;
  constexpr int TN = N / 16;
  constexpr int TILES = (M / 16) * TN;
  // Two column tiles per pass where possible: the A fragment is loaded once for both.
  if constexpr (TN % 2 == 0) {
    for (int t = warp; t < TILES / 2; t += NW) {
      const int m0 = (t / (TN / 2)) * 16, n0 = (t % (TN / 2)) * 32;
      FragC<T> c0, c1;
      wmma::fill_fragment(c0, 0.f);
      wmma::fill_fragment(c1, 0.f);
#pragma unroll 4
      for (int k0 = 0; k0 < K; k0 += KS) {
        FragA<T, LA> a;
        FragB<T, LB> b0, b1;
        load_frag<T>(a, A + at<LA>(m0, k0, lda), lda);
        load_frag<T>(b0, B + at<LB>(k0, n0, ldb), ldb);
        load_frag<T>(b1, B + at<LB>(k0, n0 + 16, ldb), ldb);
        wmma::mma_sync(c0, a, b0, c0);
        wmma::mma_sync(c1, a, b1, c1);
      }
      wmma::store_matrix_sync(C + m0 * ldc + n0, c0, ldc, wmma::mem_row_major);
      wmma::store_matrix_sync(C + m0 * ldc + n0 + 16, c1, ldc, wmma::mem_row_major);
    }
  } else {
    for (int t = warp; t < TILES; t += NW) {
      const int m0 = (t / TN) * 16, n0 = (t % TN) * 16;
      FragC<T> c;
      wmma::fill_fragment(c, 0.f);
      for (int k0 = 0; k0 < K; k0 += KS) {
        FragA<T, LA> a;
        FragB<T, LB> b;
        load_frag<T>(a, A + at<LA>(m0, k0, lda), lda);
        load_frag<T>(b, B + at<LB>(k0, n0, ldb), ldb);
        wmma::mma_sync(c, a, b, c);
      }
      wmma::store_matrix_sync(C + m0 * ldc + n0, c, ldc, wmma::mem_row_major);
    }
  }
}

// An [M x N] float32 sum kept in registers across tiles: each warp owns FPW consecutive 16x16
// tiles of one 16-row block, so the A fragment is loaded once per k step.
template <class T, int M, int N, int NW>
struct WarpAcc {
  static constexpr int TN = N / 16;
  static constexpr int FPW = (M / 16) * TN / NW;
  static_assert(FPW >= 1 && TN % FPW == 0, "tiles must split evenly over the warps");
  FragC<T> acc[FPW];

  __device__ void zero() {
#pragma unroll
    for (int j = 0; j < FPW; ++j) wmma::fill_fragment(acc[j], 0.f);
  }
  // acc += A[M x K] B[K x N]
  template <int K, class LA, class LB>
  __device__ void add(const T* A, int lda, const T* B, int ldb, int warp) {
    constexpr int KS = Mma<T>::K;
    const int t0 = warp * FPW, m0 = (t0 / TN) * 16, n0 = (t0 % TN) * 16;
#pragma unroll 2
    for (int k0 = 0; k0 < K; k0 += KS) {
      FragA<T, LA> a;
      load_frag<T>(a, A + at<LA>(m0, k0, lda), lda);
#pragma unroll
      for (int j = 0; j < FPW; ++j) {
        FragB<T, LB> b;
        load_frag<T>(b, B + at<LB>(k0, n0 + 16 * j, ldb), ldb);
        wmma::mma_sync(acc[j], a, b, acc[j]);
      }
    }
  }
  __device__ void store(float* C, int ldc, int warp) const {
    const int t0 = warp * FPW, m0 = (t0 / TN) * 16, n0 = (t0 % TN) * 16;
#pragma unroll
    for (int j = 0; j < FPW; ++j) wmma::store_matrix_sync(C + m0 * ldc + n0 + 16 * j, acc[j], ldc, wmma::mem_row_major);
  }
};

// Copies rows [row0, row0 + TT) of one batch-head's [L, D] slice into shared memory (ld LDX),
// asynchronously; rows past L are zero-filled.
template <class T, int D, int TT, int NT>
__device__ void load_rows_async(T* dst, const T* base, std::int64_t sl, int row0, int L, int dr, int tid) {
  using C = Cfg<T, D>;
  const int PER_ROW = dr / C::VEC;  // the head's real width; padded columns stay zero
  for (int i = tid; i < TT * PER_ROW; i += NT) {
    const int r = i / PER_ROW, c = (i % PER_ROW) * C::VEC;
    const int row = row0 + r;
    const T* src = base + std::int64_t(row < L ? row : L - 1) * sl + c;
    cp_async16(dst + r * C::LDX + c, src, row < L ? 16 : 0);
  }
}

// W [dr, dr] float32 (global, one head) -> shared memory in the multiply type, [D, D] with ld
// LDX, zero outside the real dr x dr block.
template <class T, int D, int NT>
__device__ void load_w(T* dst, const float* w, int dr, int tid) {
  using C = Cfg<T, D>;
  for (int i = tid; i < D * D; i += NT) {
    const int r = i / D, c = i % D;
    dst[r * C::LDX + c] = cast_to<T>(r < dr && c < dr ? mma_round<T>(w[r * dr + c]) : 0.f);
  }
}

// Zeroes a block's whole dynamic shared memory (then padded columns read as zero).
__device__ void zero_shared(char* smem, std::size_t bytes, int tid, int nt) {
  for (std::size_t i = std::size_t(tid) * 16; i < bytes; i += std::size_t(nt) * 16)
    *reinterpret_cast<uint4*>(smem + i) = make_uint4(0, 0, 0, 0);
  __syncthreads();
}

// A state [2D, D] already in the multiply type (global, ld D) -> shared memory, ld LDX.
template <class T, int D, int NT>
__device__ void load_state(T* dst, const T* src, int tid) {
  using C = Cfg<T, D>;
  constexpr int PER_ROW = D / C::VEC;
  for (int i = tid; i < 2 * D * PER_ROW; i += NT) {
    const int r = i / PER_ROW, c = (i % PER_ROW) * C::VEC;
    *reinterpret_cast<uint4*>(dst + r * C::LDX + c) = *reinterpret_cast<const uint4*>(src + r * D + c);
  }
}

template <int N, int NT>
__device__ void load_vec(float* dst, const float* src, int tid) {
  for (int i = tid; i < N; i += NT) dst[i] = src[i];
}

// Feature map of TT projected rows A (float32): phi = [softmax(a), softmax(-a)] rounded to the
// multiply type. Rows >= valid become zero. Optionally adds each lane's columns of phi to zacc
// (column lane + 32 e of the 2D) and writes den[r] = max(phi_r . z, 1e-12) (1 for invalid rows).
template <class T, int D>
__device__ void feature_rows(const float* A, T* phi, int TT, int valid, int dr, int warp, int lane, float* zacc,
                             const float* z, float* den) {
  using C = Cfg<T, D>;
  for (int r = warp; r < TT; r += C::NW) {
    float a[C::E];
#pragma unroll
    for (int e = 0; e < C::E; ++e) a[e] = A[r * C::LDA + lane + 32 * e];
    float mx = -INFINITY, mn = INFINITY;
#pragma unroll
    for (int e = 0; e < C::E; ++e)
      if (lane + 32 * e < dr) mx = fmaxf(mx, a[e]), mn = fminf(mn, a[e]);
    mx = warp_max(mx);
    mn = warp_min(mn);
    float sp = 0.f, sn = 0.f;
#pragma unroll
    for (int e = 0; e < C::E; ++e) {
      const bool col = lane + 32 * e < dr;  // columns past the head's real width are padding
      const float p = col ? __expf(a[e] - mx) : 0.f, n = col ? __expf(mn - a[e]) : 0.f;
      a[e] = p;  // keep exp(a - max); exp(min - a) is recomputed below
      sp += p;
      sn += n;
    }
    sp = warp_sum(sp);
    sn = warp_sum(sn);
    const bool ok = r < valid;
    const float ip = ok ? 1.f / sp : 0.f, in = ok ? 1.f / sn : 0.f;
    float dot = 0.f;
#pragma unroll
    for (int e = 0; e < C::E; ++e) {
      const int c = lane + 32 * e;
      const float n_raw = c < dr ? __expf(mn - A[r * C::LDA + c]) : 0.f;
      const float p = mma_round<T>(a[e] * ip), n = mma_round<T>(n_raw * in);
      phi[r * C::LDP + c] = cast_to<T>(p);
      phi[r * C::LDP + D + c] = cast_to<T>(n);
      if (zacc) zacc[e] += p, zacc[C::E + e] += n;
      if (z) dot += p * z[c] + n * z[D + c];
    }
    if (den) {
      dot = warp_sum(dot);
      if (lane == 0) den[r] = ok ? fmaxf(dot, 1e-12f) : 1.f;
    }
  }
}

// Backward of the feature map, row by row: given G = d loss / d phi (float32 [TT][2D], ld LDG)
// plus row_scale[r] * colvec[c] (row_scale null: 1), writes dA = phi+ (g+ - <g+, phi+>) -
// phi- (g- - <g-, phi->) in the multiply type (ld LDX). Rows >= valid become zero.
template <class T, int D>
__device__ void feature_backward_rows(const float* G, const T* phi, const float* row_scale, const float* colvec,
                                      T* dA, int TT, int valid, int warp, int lane) {
  using C = Cfg<T, D>;
  for (int r = warp; r < TT; r += C::NW) {
    const float rs = row_scale ? row_scale[r] : 1.f;
    float gp[C::E], gn[C::E], pp[C::E], pn[C::E];
    float sp = 0.f, sn = 0.f;
#pragma unroll
    for (int e = 0; e < C::E; ++e) {
      const int c = lane + 32 * e;
      gp[e] = G[r * C::LDG + c] + rs * colvec[c];
      gn[e] = G[r * C::LDG + D + c] + rs * colvec[D + c];
      pp[e] = to_f(phi[r * C::LDP + c]);
      pn[e] = to_f(phi[r * C::LDP + D + c]);
      sp += gp[e] * pp[e];
      sn += gn[e] * pn[e];
    }
    sp = warp_sum(sp);
    sn = warp_sum(sn);
    const bool ok = r < valid;
#pragma unroll
    for (int e = 0; e < C::E; ++e) {
      const float d = ok ? pp[e] * (gp[e] - sp) - pn[e] * (gn[e] - sn) : 0.f;
      dA[r * C::LDX + lane + 32 * e] = cast_to<T>(mma_round<T>(d));
    }
  }
}

// Writes TT rows of a float32 tile (ld LDA) to global rows [row0, min(row0 + TT, L)), converting.
template <class T, int D, int NT>
__device__ void store_rows(T* base, std::int64_t sl, const float* src, int row0, int L, int TT, int dr, int tid) {
  using C = Cfg<T, D>;
  const int PER_ROW = dr / C::VEC;
  for (int i = tid; i < TT * PER_ROW; i += NT) {
    const int r = i / PER_ROW, c = (i % PER_ROW) * C::VEC;
    if (row0 + r >= L) continue;
    T out[C::VEC];
#pragma unroll
    for (int j = 0; j < C::VEC; ++j) out[j] = cast_to<T>(src[r * C::LDA + c + j]);
    *reinterpret_cast<uint4*>(base + std::int64_t(row0 + r) * sl + c) = *reinterpret_cast<const uint4*>(out);
  }
}

// Sums each warp's per-lane column accumulators (2D columns, lane + 32 e) in warp order and writes
// them to out[0..2D). scratch holds NW * 2D floats.
template <class T, int D>
__device__ void reduce_columns(const float* zacc, float* scratch, float* out, int warp, int lane, int tid) {
  using C = Cfg<T, D>;
#pragma unroll
  for (int e = 0; e < 2 * C::E; ++e) scratch[warp * 2 * D + lane + 32 * e] = zacc[e];
  __syncthreads();
  for (int c = tid; c < 2 * D; c += C::NT) {
    float s = 0.f;
    for (int w = 0; w < C::NW; ++w) s += scratch[w * 2 * D + c];
    out[c] = s;
  }
}

struct Slice {
  int b, h, chunk, chunks, tile_begin, tile_end;
};
// This block's batch, head and tiles: grid (chunks, H, B); chunk c takes tiles [c tpc, (c+1) tpc).
__device__ Slice my_slice(int L, int TT) {
  Slice s;
  s.chunk = blockIdx.x;
  s.chunks = gridDim.x;
  s.h = blockIdx.y;
  s.b = blockIdx.z;
  const int tiles = (L + TT - 1) / TT;
  const int tpc = (tiles + s.chunks - 1) / s.chunks;
  s.tile_begin = s.chunk * tpc;
  s.tile_end = min(tiles, s.tile_begin + tpc);
  return s;
}

// Double-buffered tiles of a slice. issue(stage, tile) starts the asynchronous copies of one tile
// into a stage. start_tiles issues the first; await_tile, before the work on tile t, issues tile
// t + 1 into the other stage, waits for tile t and returns its stage.
template <class Issue>
__device__ void start_tiles(const Slice& sl, Issue&& issue) {
  if (sl.tile_begin >= sl.tile_end) return;
  issue(0, sl.tile_begin);
  cp_async_commit();
}
template <class Issue>
__device__ int await_tile(const Slice& sl, int t, Issue&& issue) {
  const int st = (t - sl.tile_begin) & 1;
  if (t + 1 < sl.tile_end) {
    issue(st ^ 1, t + 1);
    cp_async_commit();
    cp_async_wait<1>();
  } else {
    cp_async_wait<0>();
  }
  __syncthreads();
  return st;
}

template <class T>
__device__ const T* rows_of(const Rows& x, int b, int h) {
  return static_cast<const T*>(x.ptr) + b * x.sb + h * x.sh;
}
template <class T>
__device__ T* rows_of(const MutRows& x, int b, int h) {
  return static_cast<T*>(x.ptr) + b * x.sb + h * x.sh;
}

// ==== forward pass 1: partial states over a slice of k tokens ======================================
template <class T, int D, bool BIG>
__global__ void __launch_bounds__(Cfg<T, D, BIG>::NT, 1)
    state_partial_kernel(int H, int L, int dr, Rows k, Rows v, const float* __restrict__ w_k, float* __restrict__ S_part,
                         float* __restrict__ z_part) {
  using C = Cfg<T, D, BIG>;
  constexpr int TT = C::TT_F;
  extern __shared__ __align__(128) char smem[];
  Carve cv{smem};
  if (dr < D) zero_shared(smem, Smem<T, D, BIG>::state, threadIdx.x, Cfg<T, D, BIG>::NT);  // padded head
  T* W = cv.take<T>(std::size_t(D) * C::LDX);
  float* A = cv.take<float>(std::size_t(TT) * C::LDA);
  T* phi = cv.take<T>(std::size_t(TT) * C::LDP);
  T* xs[2];
  T* vs[2];
  for (int s = 0; s < 2; ++s) xs[s] = cv.take<T>(std::size_t(TT) * C::LDX), vs[s] = cv.take<T>(std::size_t(TT) * C::LDX);

  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
  const Slice sl = my_slice(L, TT);
  const T* kb = rows_of<T>(k, sl.b, sl.h);
  const T* vb = rows_of<T>(v, sl.b, sl.h);
  load_w<T, D, C::NT>(W, w_k + std::size_t(sl.h) * dr * dr, dr, tid);

  float zacc[2 * C::E] = {};
  WarpAcc<T, 2 * D, D, C::NW> Sacc;
  Sacc.zero();
  auto issue = [&](int stage, int tile) {
    load_rows_async<T, D, TT, C::NT>(xs[stage], kb, k.sl, tile * TT, L, dr, tid);
    load_rows_async<T, D, TT, C::NT>(vs[stage], vb, v.sl, tile * TT, L, dr, tid);
  };
  start_tiles(sl, issue);
  for (int t = sl.tile_begin; t < sl.tile_end; ++t) {
    const int st = await_tile(sl, t, issue);
    gemm_to<T, TT, D, D, RowM, RowM, C::NW>(xs[st], C::LDX, W, C::LDX, A, C::LDA, warp);
    __syncthreads();
    feature_rows<T, D>(A, phi, TT, L - t * TT, dr, warp, lane, zacc, nullptr, nullptr);
    __syncthreads();
    Sacc.template add<TT, ColM, RowM>(phi, C::LDP, vs[st], C::LDX, warp);  // S += phi^T v
    __syncthreads();
  }
  const std::size_t part = (std::size_t(sl.b) * H + sl.h) * sl.chunks + sl.chunk;
  Sacc.store(S_part + part * 2 * D * D, D, warp);
  reduce_columns<T, D>(zacc, A, z_part + part * 2 * D, warp, lane, tid);
}

// Sums partials in a fixed order: out[g][e] = sum_i part[(g * count + i) * n + e]; optionally also
// writes the sum in the multiply type (out_mma).
template <class T>
__global__ void reduce_partials_kernel(const float* __restrict__ part, int count, std::size_t n,
                                       float* __restrict__ out, T* __restrict__ out_mma) {
  const std::size_t g = blockIdx.y;
  for (std::size_t e = std::size_t(blockIdx.x) * blockDim.x + threadIdx.x; e < n; e += std::size_t(gridDim.x) * blockDim.x) {
    float s = 0.f;
    for (int i = 0; i < count; ++i) s += part[(g * count + i) * n + e];
    if (out) out[g * n + e] = s;
    if (out_mma) out_mma[g * n + e] = cast_to<T>(mma_round<T>(s));
  }
}

// ==== forward pass 2: apply the state to a slice of q tokens ======================================
template <class T, int D, bool BIG>
__global__ void __launch_bounds__(Cfg<T, D, BIG>::NT, 1)
    apply_kernel(int H, int L, int dr, Rows q, const float* __restrict__ w_q, const T* __restrict__ S_mma,
                 const float* __restrict__ z, Rows soft, const float* __restrict__ r, MutRows o) {
  using C = Cfg<T, D, BIG>;
  using SM = Smem<T, D, BIG>;
  constexpr int TT = C::TT_F;
  extern __shared__ __align__(128) char smem[];
  Carve cv{smem};
  if (dr < D) zero_shared(smem, Smem<T, D, BIG>::apply, threadIdx.x, Cfg<T, D, BIG>::NT);  // padded head
  T* W = cv.take<T>(std::size_t(D) * C::LDX);
  float* zs = cv.take<float>(2 * D);
  float* A = cv.take<float>(std::size_t(TT) * C::LDA);
  T* phi = cv.take<T>(std::size_t(TT) * C::LDP);
  float* den = cv.take<float>(TT);
  T* xs[2];
  for (int s = 0; s < 2; ++s) xs[s] = cv.take<T>(std::size_t(TT) * C::LDX);

  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
  const Slice sl = my_slice(L, TT);
  const std::size_t bh = std::size_t(sl.b) * H + sl.h;
  const T* S_g = S_mma + bh * 2 * D * D;
  const T* Sp = S_g;
  int lds = D;
  if constexpr (SM::apply_s_smem) {
    T* Ss = cv.take<T>(std::size_t(2 * D) * C::LDX);
    load_state<T, D, C::NT>(Ss, S_g, tid);
    Sp = Ss;
    lds = C::LDX;
  }
  load_w<T, D, C::NT>(W, w_q + std::size_t(sl.h) * dr * dr, dr, tid);
  load_vec<2 * D, C::NT>(zs, z + bh * 2 * D, tid);
  const T* qb = rows_of<T>(q, sl.b, sl.h);
  T* ob = rows_of<T>(o, sl.b, sl.h);
  const T* sb = soft.ptr ? rows_of<T>(soft, sl.b, sl.h) : nullptr;
  const float mix = r ? *r : 0.f;

  auto issue = [&](int stage, int tile) { load_rows_async<T, D, TT, C::NT>(xs[stage], qb, q.sl, tile * TT, L, dr, tid); };
  start_tiles(sl, issue);
  for (int t = sl.tile_begin; t < sl.tile_end; ++t) {
    const int st = await_tile(sl, t, issue);
    gemm_to<T, TT, D, D, RowM, RowM, C::NW>(xs[st], C::LDX, W, C::LDX, A, C::LDA, warp);
    __syncthreads();
    feature_rows<T, D>(A, phi, TT, L - t * TT, dr, warp, lane, nullptr, zs, den);
    __syncthreads();
    gemm_to<T, TT, D, 2 * D, RowM, RowM, C::NW>(phi, C::LDP, Sp, lds, A, C::LDA, warp);  // num = phi S
    __syncthreads();
    // o = num / den (and the mix), stored 16 bytes at a time
    const int PER_ROW = dr / C::VEC;
    const int row0 = t * TT;
    for (int i = tid; i < TT * PER_ROW; i += C::NT) {
      const int rr = i / PER_ROW, c = (i % PER_ROW) * C::VEC;
      if (row0 + rr >= L) continue;
      const float inv = 1.f / den[rr];
      T out[C::VEC];
      T sv[C::VEC];
      if (sb) *reinterpret_cast<uint4*>(sv) = *reinterpret_cast<const uint4*>(sb + std::int64_t(row0 + rr) * soft.sl + c);
#pragma unroll
      for (int j = 0; j < C::VEC; ++j) {
        float val = A[rr * C::LDA + c + j] * inv;
        if (sb) val = mix * to_f(sv[j]) + (1.f - mix) * val;
        out[j] = cast_to<T>(val);
      }
      *reinterpret_cast<uint4*>(ob + std::int64_t(row0 + rr) * o.sl + c) = *reinterpret_cast<const uint4*>(out);
    }
    __syncthreads();
  }
}

// ==== forward pass 2, register-resident (bf16 on sm_80+; mma.sync through PTX) ======================
// Each warp takes 16 q rows at a time and keeps them in registers from the projection to the store:
// x W (accumulators in the m16n8 layout), the feature map (row reductions across the lane quad),
// phi repacked as the A operand of phi S (the accumulator layout of two n8 tiles is the A layout of
// one k16 step), the division, the blend. W, S and z sit in shared memory for the whole block and
// feed the tensor cores through ldmatrix; the warps never wait for each other after the start.
__device__ __forceinline__ void ldsm_x4(unsigned (&r)[4], const void* p) {
  const unsigned s = static_cast<unsigned>(__cvta_generic_to_shared(p));
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(s));
}
__device__ __forceinline__ void ldsm_x4_t(unsigned (&r)[4], const void* p) {
  const unsigned s = static_cast<unsigned>(__cvta_generic_to_shared(p));
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(s));
}
// c += a b for one m16n8k16 step: a is 16x16 (row), b 16x8 (col), c 16x8 float32.
__device__ __forceinline__ void mma16816(float (&c)[4], const unsigned (&a)[4], unsigned b0, unsigned b1) {
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
               "{%0,%1,%2,%3};\n"
               : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}
__device__ __forceinline__ unsigned pack_bf16(float lo, float hi) {
  const __nv_bfloat162 h = __floats2bfloat162_rn(lo, hi);
  return *reinterpret_cast<const unsigned*>(&h);
}
__device__ __forceinline__ float quad_max(float x) {
  x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, 1));
  return fmaxf(x, __shfl_xor_sync(0xffffffffu, x, 2));
}
__device__ __forceinline__ float quad_min(float x) {
  x = fminf(x, __shfl_xor_sync(0xffffffffu, x, 1));
  return fminf(x, __shfl_xor_sync(0xffffffffu, x, 2));
}
__device__ __forceinline__ float quad_sum(float x) {
  x += __shfl_xor_sync(0xffffffffu, x, 1);
  return x + __shfl_xor_sync(0xffffffffu, x, 2);
}

// acc[j] (n8 tile j of a 16 x N product) += X[16 x K] B[K x N]; X and B row-major bf16 in shared
// memory (ld in elements, rows 16-byte aligned).
template <int K, int N>
__device__ __forceinline__ void warp_gemm_smem_a(float (&acc)[N / 8][4], const bf16* X, int ldx, const bf16* B, int ldb,
                                                 int lane) {
#pragma unroll
  for (int kk = 0; kk < K / 16; ++kk) {
    unsigned a[4];
    ldsm_x4(a, X + (lane % 16) * ldx + kk * 16 + (lane / 16) * 8);
#pragma unroll
    for (int jp = 0; jp < N / 16; ++jp) {
      unsigned b[4];
      ldsm_x4_t(b, B + (kk * 16 + (lane % 8) + ((lane / 8) & 1) * 8) * ldb + jp * 16 + (lane / 16) * 8);
      mma16816(acc[2 * jp], a, b[0], b[1]);
      mma16816(acc[2 * jp + 1], a, b[2], b[3]);
    }
  }
}

// Maxima and minima of rows g and g + 8 (h = 0, 1) of m16n8 accumulator tiles over the real
// columns (< dr; tile j's columns start at col0 + 8 j), reduced across the lane quad.
template <int NJ>
__device__ __forceinline__ void masked_row_minmax(const float (&a)[NJ][4], int col0, int dr, float (&mx)[2],
                                                  float (&mn)[2]) {
  mx[0] = mx[1] = -INFINITY;
  mn[0] = mn[1] = INFINITY;
#pragma unroll
  for (int j = 0; j < NJ; ++j)
#pragma unroll
    for (int e = 0; e < 4; ++e)
      if (col0 + 8 * j + (e & 1) < dr) mx[e / 2] = fmaxf(mx[e / 2], a[j][e]), mn[e / 2] = fminf(mn[e / 2], a[j][e]);
#pragma unroll
  for (int h = 0; h < 2; ++h) mx[h] = quad_max(mx[h]), mn[h] = quad_min(mn[h]);
}

// Rows, shared-memory bytes and launch width of the register-resident apply kernel.
// NW_ 8: the feature map keeps exp(a - max) and exp(min - a) in registers (about 234 of them);
// NW_ 12: it computes them twice instead, to fit 168 registers and have 12 warps per SM
// (LINVIDEO_KERNELS_APPLY_WARPS=12 picks it, for comparisons).
template <int D, int NW_ = 8>
struct ApplyMma {
  static constexpr int NW = NW_;         // warps per block, 16 rows each at a time
  static constexpr bool LOWREG = NW_ > 8;
  static constexpr int NT = NW * 32;
  static constexpr int LDX = D + 8;      // bf16 elements per shared row (16-byte rows, no bank conflicts)
  static constexpr int ROWS = 16;        // rows per warp tile
  static constexpr std::size_t bytes = align_up(std::size_t(D) * LDX * 2) + align_up(std::size_t(2 * D) * LDX * 2) +
                                       align_up(std::size_t(2 * D) * 4) + align_up(std::size_t(NW) * 2 * ROWS * LDX * 2);
};

template <int D, int NW_>
__global__ void __launch_bounds__(ApplyMma<D, NW_>::NT, 1)
    apply_mma_kernel(int H, int L, int dr, Rows q, const float* __restrict__ w_q, const bf16* __restrict__ S_mma,
                     const float* __restrict__ z, Rows soft, const float* __restrict__ r, MutRows o) {
  using AM = ApplyMma<D, NW_>;
  constexpr int LDX = AM::LDX, NJ = D / 8, KD = D / 16, ROWS = AM::ROWS;
  extern __shared__ __align__(128) char smem[];
  Carve cv{smem};
  bf16* W = cv.take<bf16>(std::size_t(D) * LDX);
  bf16* Ss = cv.take<bf16>(std::size_t(2 * D) * LDX);
  float* zs = cv.take<float>(2 * D);
  bf16* xbuf = cv.take<bf16>(std::size_t(AM::NW) * 2 * ROWS * LDX);
  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
  // Padded columns of the q tiles are never written by the copies: zero them once.
  if (dr < D)
    for (int i = tid; i < AM::NW * 2 * ROWS * LDX; i += AM::NT) xbuf[i] = __float2bfloat16(0.f);

  const Slice sl = my_slice(L, ROWS);
  const std::size_t bh = std::size_t(sl.b) * H + sl.h;
  load_state<bf16, D, AM::NT>(Ss, S_mma + bh * 2 * D * D, tid);
  load_w<bf16, D, AM::NT>(W, w_q + std::size_t(sl.h) * dr * dr, dr, tid);
  load_vec<2 * D, AM::NT>(zs, z + bh * 2 * D, tid);
  __syncthreads();

  const bf16* qb = rows_of<bf16>(q, sl.b, sl.h);
  bf16* ob = rows_of<bf16>(o, sl.b, sl.h);
  const bf16* sb = soft.ptr ? rows_of<bf16>(soft, sl.b, sl.h) : nullptr;
  const float mix = r ? *r : 0.f;
  bf16* xs[2] = {xbuf + std::size_t(warp * 2) * ROWS * LDX, xbuf + std::size_t(warp * 2 + 1) * ROWS * LDX};
  const int g = lane / 4, tq = lane % 4;
  auto issue = [&](int stage, int tile) {
    load_rows_async<bf16, D, ROWS, 32>(xs[stage], qb, q.sl, tile * ROWS, L, dr, lane);
  };
  int t = sl.tile_begin + warp;
  if (t < sl.tile_end) issue(0, t);
  cp_async_commit();
  for (int i = 0; t < sl.tile_end; ++i, t += AM::NW) {
    const int st = i & 1;
    if (t + AM::NW < sl.tile_end) {
      issue(st ^ 1, t + AM::NW);
      cp_async_commit();
      cp_async_wait<1>();
    } else {
      cp_async_wait<0>();
    }
    __syncwarp();
    bf16* x = xs[st];

    // a = x W: rows g and g + 8 of this lane, columns 8 j + 2 tq + {0, 1}
    float a[NJ][4];
#pragma unroll
    for (int j = 0; j < NJ; ++j) a[j][0] = a[j][1] = a[j][2] = a[j][3] = 0.f;
    warp_gemm_smem_a<D, D>(a, x, LDX, W, LDX, lane);

    // Feature map: phi = [softmax(a), softmax(-a)] over the real columns, per row (h: row g + 8 h).
    float mx[2], mn[2];
    masked_row_minmax(a, 2 * tq, dr, mx, mn);
    float sp[2] = {0.f, 0.f}, sn[2] = {0.f, 0.f};
    float nr[AM::LOWREG ? 1 : NJ][4];
#pragma unroll
    for (int j = 0; j < NJ; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const bool col = 8 * j + 2 * tq + (e & 1) < dr;
        const float p = col ? __expf(a[j][e] - mx[e / 2]) : 0.f, n = col ? __expf(mn[e / 2] - a[j][e]) : 0.f;
        if constexpr (!AM::LOWREG) a[j][e] = p, nr[j][e] = n;
        sp[e / 2] += p;
        sn[e / 2] += n;
      }
    float ip[2], in[2], dot[2] = {0.f, 0.f};
#pragma unroll
    for (int h = 0; h < 2; ++h) ip[h] = 1.f / quad_sum(sp[h]), in[h] = 1.f / quad_sum(sn[h]);
    // phi as A fragments of the k16 steps over the 2D features (positive half, then negative), and
    // the normaliser phi . z with the values the tensor cores see.
    unsigned pa[2 * KD][4];
#pragma unroll
    for (int kb = 0; kb < KD; ++kb)
#pragma unroll
      for (int half = 0; half < 2; ++half) {
        const int j = 2 * kb + half, c = 8 * j + 2 * tq;
        float pv[4], nv[4];
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          if constexpr (AM::LOWREG) {
            const bool col = c + (e & 1) < dr;
            pv[e] = col ? mma_round<bf16>(__expf(a[j][e] - mx[e / 2]) * ip[e / 2]) : 0.f;
            nv[e] = col ? mma_round<bf16>(__expf(mn[e / 2] - a[j][e]) * in[e / 2]) : 0.f;
          } else {
            pv[e] = mma_round<bf16>(a[j][e] * ip[e / 2]);
            nv[e] = mma_round<bf16>(nr[j][e] * in[e / 2]);
          }
          dot[e / 2] += pv[e] * zs[c + (e & 1)] + nv[e] * zs[D + c + (e & 1)];
        }
        pa[kb][2 * half] = pack_bf16(pv[0], pv[1]);
        pa[kb][2 * half + 1] = pack_bf16(pv[2], pv[3]);
        pa[KD + kb][2 * half] = pack_bf16(nv[0], nv[1]);
        pa[KD + kb][2 * half + 1] = pack_bf16(nv[2], nv[3]);
      }
    float inv_den[2];
#pragma unroll
    for (int h = 0; h < 2; ++h) inv_den[h] = 1.f / fmaxf(quad_sum(dot[h]), 1e-12f);

    // num = phi S (the accumulators of a are free again)
#pragma unroll
    for (int j = 0; j < NJ; ++j) a[j][0] = a[j][1] = a[j][2] = a[j][3] = 0.f;
#pragma unroll
    for (int kb = 0; kb < 2 * KD; ++kb)
#pragma unroll
      for (int jp = 0; jp < NJ / 2; ++jp) {
        unsigned b[4];
        ldsm_x4_t(b, Ss + (kb * 16 + (lane % 8) + ((lane / 8) & 1) * 8) * LDX + jp * 16 + (lane / 16) * 8);
        mma16816(a[2 * jp], pa[kb], b[0], b[1]);
        mma16816(a[2 * jp + 1], pa[kb], b[2], b[3]);
      }

    // o = num / den (and the blend), staged in this warp's q tile (consumed), then 16-byte stores.
    const int row0 = t * ROWS;
#pragma unroll
    for (int j = 0; j < NJ; ++j)
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const int rr = g + 8 * h, c = 8 * j + 2 * tq;
        float v0 = a[j][2 * h] * inv_den[h], v1 = a[j][2 * h + 1] * inv_den[h];
        if (sb && row0 + rr < L && c < dr) {
          const __nv_bfloat162 s2 = *reinterpret_cast<const __nv_bfloat162*>(sb + std::int64_t(row0 + rr) * soft.sl + c);
          v0 = mix * __bfloat162float(s2.x) + (1.f - mix) * v0;
          v1 = mix * __bfloat162float(s2.y) + (1.f - mix) * v1;
        }
        *reinterpret_cast<unsigned*>(x + rr * LDX + c) = pack_bf16(v0, v1);
      }
    __syncwarp();
    const int per_row = dr / 8;
    for (int i2 = lane; i2 < ROWS * per_row; i2 += 32) {
      const int rr = i2 / per_row, c = (i2 % per_row) * 8;
      if (row0 + rr < L)
        *reinterpret_cast<uint4*>(ob + std::int64_t(row0 + rr) * o.sl + c) = *reinterpret_cast<const uint4*>(x + rr * LDX + c);
    }
    __syncwarp();  // the stage is refilled two tiles on
  }
}

// ==== forward pass 1, mma.sync (bf16 on the big configuration) =====================================
// Tiles of 64 keys. Phase A: each warp projects 16 keys onto half of the D columns (k W, in
// registers); the two warps of a row block trade their row maxima, minima and sums through shared
// memory, and write phi (rounded to bf16) to shared memory. Phase B: each warp accumulates one
// (D/2 x D/2) block of S += phi^T v in registers across the whole slice; the warps of the first
// column blocks also accumulate z = phi^T 1 (a ones operand, no shared-memory traffic).
template <int D>
struct StateMma {
  static constexpr int NW = 8;
  static constexpr int NT = NW * 32;
  static constexpr int TT = 64;
  static constexpr int LDX = D + 8;
  static constexpr int LDP = 2 * D + 8;
  static constexpr std::size_t bytes = align_up(std::size_t(D) * LDX * 2) + 4 * align_up(std::size_t(TT) * LDX * 2) +
                                       align_up(std::size_t(TT) * LDP * 2) + align_up(std::size_t(4) * 2 * TT * 4);
};

template <int D>
__global__ void __launch_bounds__(StateMma<D>::NT, 1)
    state_mma_kernel(int H, int L, int dr, Rows k, Rows v, const float* __restrict__ w_k, float* __restrict__ S_part,
                     float* __restrict__ z_part) {
  using SMm = StateMma<D>;
  constexpr int LDX = SMm::LDX, LDP = SMm::LDP, TT = SMm::TT, NT = SMm::NT;
  constexpr int HALF = D / 2;       // phase A: columns per warp; phase B: rows and columns of a warp's S block
  constexpr int NJA = HALF / 8;     // phase A n8 tiles
  constexpr int MT = HALF / 16;     // phase B m16 tiles
  constexpr int NJB = HALF / 8;     // phase B n8 tiles
  extern __shared__ __align__(128) char smem[];
  Carve cv{smem};
  bf16* W = cv.take<bf16>(std::size_t(D) * LDX);
  bf16* ks[2];
  bf16* vs[2];
  for (int s2 = 0; s2 < 2; ++s2) ks[s2] = cv.take<bf16>(std::size_t(TT) * LDX), vs[s2] = cv.take<bf16>(std::size_t(TT) * LDX);
  bf16* phi = cv.take<bf16>(std::size_t(TT) * LDP);
  float* red = cv.take<float>(std::size_t(4) * 2 * TT);  // [quantity: max, min, sum+, sum-][column half][row]
  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32, g = lane / 4, tq = lane % 4;
  if (dr < D)  // padded columns of the k and v tiles are never written by the copies
    for (int i = tid; i < 4 * TT * LDX; i += NT) ks[0][i] = __float2bfloat16(0.f);  // ks/vs are contiguous

  const Slice sl = my_slice(L, TT);
  load_w<bf16, D, NT>(W, w_k + std::size_t(sl.h) * dr * dr, dr, tid);
  const bf16* kb = rows_of<bf16>(k, sl.b, sl.h);
  const bf16* vb = rows_of<bf16>(v, sl.b, sl.h);

  const int rb = warp % 4, ch = warp / 4;  // phase A: row block, column half
  const int mb = warp % 4, nb = warp / 4;  // phase B: S row block (of 2D / 4 = HALF rows), column block
  float acc[MT][NJB][4];
  float zacc[MT][4];
#pragma unroll
  for (int m = 0; m < MT; ++m) {
#pragma unroll
    for (int j = 0; j < NJB; ++j) acc[m][j][0] = acc[m][j][1] = acc[m][j][2] = acc[m][j][3] = 0.f;
    zacc[m][0] = zacc[m][1] = zacc[m][2] = zacc[m][3] = 0.f;
  }
  const unsigned ones = pack_bf16(1.f, 1.f);

  auto issue = [&](int stage, int tile) {
    load_rows_async<bf16, D, TT, NT>(ks[stage], kb, k.sl, tile * TT, L, dr, tid);
    load_rows_async<bf16, D, TT, NT>(vs[stage], vb, v.sl, tile * TT, L, dr, tid);
  };
  __syncthreads();  // the zeroing above before the copies
  start_tiles(sl, issue);
  for (int t = sl.tile_begin; t < sl.tile_end; ++t) {
    const int st = await_tile(sl, t, issue);
    const int valid = L - t * TT;
    // ---- phase A: a = k W for rows 16 rb.., columns HALF ch..
    float a[NJA][4];
#pragma unroll
    for (int j = 0; j < NJA; ++j) a[j][0] = a[j][1] = a[j][2] = a[j][3] = 0.f;
    warp_gemm_smem_a<D, HALF>(a, ks[st] + rb * 16 * LDX, LDX, W + ch * HALF, LDX, lane);
    // Row statistics are traded between the two column halves through red[quantity][half][row]:
    // put() publishes this half's (quad-reduced) value, half_of() reads either half's.
    auto put = [&](int q, const float (&v)[2]) {
      if (tq == 0)
        for (int h = 0; h < 2; ++h) red[(q * 2 + ch) * TT + rb * 16 + g + 8 * h] = v[h];
    };
    auto half_of = [&](int q, int half, int h) { return red[(q * 2 + half) * TT + rb * 16 + g + 8 * h]; };
    float mx[2], mn[2];
    masked_row_minmax(a, ch * HALF + 2 * tq, dr, mx, mn);
    put(0, mx);
    put(1, mn);
    __syncthreads();
#pragma unroll
    for (int h = 0; h < 2; ++h) mx[h] = fmaxf(half_of(0, 0, h), half_of(0, 1, h)), mn[h] = fminf(half_of(1, 0, h), half_of(1, 1, h));
    float n[NJA][4], sp[2] = {0.f, 0.f}, sn[2] = {0.f, 0.f};
#pragma unroll
    for (int j = 0; j < NJA; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const bool col = ch * HALF + 8 * j + 2 * tq + (e & 1) < dr;
        const float p = col ? __expf(a[j][e] - mx[e / 2]) : 0.f;
        n[j][e] = col ? __expf(mn[e / 2] - a[j][e]) : 0.f;
        a[j][e] = p;
        sp[e / 2] += p;
        sn[e / 2] += n[j][e];
      }
#pragma unroll
    for (int h = 0; h < 2; ++h) sp[h] = quad_sum(sp[h]), sn[h] = quad_sum(sn[h]);
    put(2, sp);
    put(3, sn);
    __syncthreads();
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const bool ok = rb * 16 + g + 8 * h < valid;  // keys past the end contribute nothing
      sp[h] = ok ? 1.f / (half_of(2, 0, h) + half_of(2, 1, h)) : 0.f;
      sn[h] = ok ? 1.f / (half_of(3, 0, h) + half_of(3, 1, h)) : 0.f;
    }
#pragma unroll
    for (int j = 0; j < NJA; ++j)
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const int row = rb * 16 + g + 8 * h, c = ch * HALF + 8 * j + 2 * tq;
        *reinterpret_cast<unsigned*>(phi + row * LDP + c) = pack_bf16(a[j][2 * h] * sp[h], a[j][2 * h + 1] * sp[h]);
        *reinterpret_cast<unsigned*>(phi + row * LDP + D + c) = pack_bf16(n[j][2 * h] * sn[h], n[j][2 * h + 1] * sn[h]);
      }
    __syncthreads();
    // ---- phase B: S[mb HALF.., nb HALF..] += phi^T v over the tile's keys; z += phi^T 1
    const bf16* vt = vs[st];
#pragma unroll
    for (int kk = 0; kk < TT / 16; ++kk) {
      unsigned fa[MT][4];
#pragma unroll
      for (int m = 0; m < MT; ++m)
        ldsm_x4_t(fa[m], phi + (kk * 16 + (lane % 8) + (lane / 16) * 8) * LDP + mb * HALF + m * 16 + ((lane / 8) & 1) * 8);
#pragma unroll
      for (int jp = 0; jp < NJB / 2; ++jp) {
        unsigned b[4];
        ldsm_x4_t(b, vt + (kk * 16 + (lane % 8) + ((lane / 8) & 1) * 8) * LDX + nb * HALF + jp * 16 + (lane / 16) * 8);
#pragma unroll
        for (int m = 0; m < MT; ++m) {
          mma16816(acc[m][2 * jp], fa[m], b[0], b[1]);
          mma16816(acc[m][2 * jp + 1], fa[m], b[2], b[3]);
        }
      }
      if (nb == 0)
#pragma unroll
        for (int m = 0; m < MT; ++m) mma16816(zacc[m], fa[m], ones, ones);
    }
    __syncthreads();  // phi and this stage are rewritten next
  }
  const std::size_t part = (std::size_t(sl.b) * H + sl.h) * sl.chunks + sl.chunk;
  float* Sp = S_part + part * 2 * D * D;
#pragma unroll
  for (int m = 0; m < MT; ++m)
#pragma unroll
    for (int j = 0; j < NJB; ++j)
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const int row = mb * HALF + m * 16 + g + 8 * h, col = nb * HALF + 8 * j + 2 * tq;
        *reinterpret_cast<float2*>(Sp + std::size_t(row) * D + col) = make_float2(acc[m][j][2 * h], acc[m][j][2 * h + 1]);
      }
  if (nb == 0 && tq == 0)
#pragma unroll
    for (int m = 0; m < MT; ++m)
#pragma unroll
      for (int h = 0; h < 2; ++h) z_part[part * 2 * D + mb * HALF + m * 16 + g + 8 * h] = zacc[m][2 * h];
}

// ==== backward ======================================================================================
// Shared steps of the two kernels over q tokens: load q and dO, project, feature map with den,
// num = phi S, then g = gscale dO / den (in place of dO, multiply type) and dden = -gscale
// sum(dO o) / den. Returns nothing; leaves phi, g (in gs), den, dden in shared memory. With soft,
// also adds sum dO (soft - o) of this tile to *dr_acc (per lane).
template <class T, int D, bool BIG>
struct QTile {
  T *W, *xs, *gs, *phi;
  float *zs, *mu, *A, *den, *dden;  // mu: the state's mean value row (see center_state_kernel)
  const T* Sp;
  int lds;
};

template <class T, int D, bool BIG>
__device__ void q_tile_forward(const QTile<T, D, BIG>& s, const T* qb, std::int64_t qsl, const T* db, std::int64_t dsl,
                               const T* sb, std::int64_t ssl, float gscale, int t, int L, int dr, int tid,
                               int warp, int lane, float* dr_acc) {
  using C = Cfg<T, D, BIG>;
  constexpr int TT = C::TT_B;
  load_rows_async<T, D, TT, C::NT>(s.xs, qb, qsl, t * TT, L, dr, tid);
  load_rows_async<T, D, TT, C::NT>(s.gs, db, dsl, t * TT, L, dr, tid);
  cp_async_commit();
  cp_async_wait<0>();
  __syncthreads();
  gemm_to<T, TT, D, D, RowM, RowM, C::NW>(s.xs, C::LDX, s.W, C::LDX, s.A, C::LDA, warp);
  __syncthreads();
  feature_rows<T, D>(s.A, s.phi, TT, L - t * TT, dr, warp, lane, nullptr, s.zs, s.den);
  __syncthreads();
  gemm_to<T, TT, D, 2 * D, RowM, RowM, C::NW>(s.phi, C::LDP, s.Sp, s.lds, s.A, C::LDA, warp);
  __syncthreads();
  const int valid = L - t * TT;
  for (int r = warp; r < TT; r += C::NW) {
    const float inv = 1.f / s.den[r];
    const bool ok = r < valid;
    float dot = 0.f, drp = 0.f;
#pragma unroll
    for (int e = 0; e < C::E; ++e) {
      const int c = lane + 32 * e;
      const float o = s.A[r * C::LDA + c] * inv;
      const float d = to_f(s.gs[r * C::LDX + c]);
      dot += d * o;
      if (sb && ok && c < dr) drp += d * (to_f(sb[std::int64_t(t * TT + r) * ssl + c]) - o - s.mu[c]);
      s.gs[r * C::LDX + c] = cast_to<T>(mma_round<T>(gscale * d * inv));
    }
    dot = warp_sum(dot);
    if (lane == 0) s.dden[r] = ok ? -gscale * dot * inv : 0.f;
    if (dr_acc) *dr_acc += drp;
  }
  __syncthreads();
}

template <class T, int D, bool BIG>
__device__ QTile<T, D, BIG> carve_q_tile(Carve& cv) {
  using C = Cfg<T, D, BIG>;
  constexpr int TT = C::TT_B;
  QTile<T, D, BIG> s;
  s.W = cv.take<T>(std::size_t(D) * C::LDX);
  s.zs = cv.take<float>(3 * D);  // z, then mu
  s.mu = s.zs + 2 * D;
  s.xs = cv.take<T>(std::size_t(TT) * C::LDX);
  s.gs = cv.take<T>(std::size_t(TT) * C::LDX);
  s.A = cv.take<float>(std::size_t(TT) * C::LDA);
  s.phi = cv.take<T>(std::size_t(TT) * C::LDP);
  s.den = cv.take<float>(TT);
  s.dden = cv.take<float>(TT);
  return s;
}

// Backward over q tokens, part 1: dS = sum phi(q)^T g, dz = sum phi(q) dden, dr partials. S_mma is
// the centred state S - z mu^T, so dden and dz are the centred ones (center_state_kernel).
template <class T, int D, bool BIG>
__global__ void __launch_bounds__(Cfg<T, D, BIG>::NT, 1)
    bq_state_kernel(int H, int L, int dr, Rows q, Rows dout, Rows soft, const float* __restrict__ r,
                    const float* __restrict__ w_q, const T* __restrict__ S_mma, const float* __restrict__ z,
                    const float* __restrict__ mu,
                    float* __restrict__ dS_part, float* __restrict__ dz_part, float* __restrict__ dr_part) {
  using C = Cfg<T, D, BIG>;
  using SM = Smem<T, D, BIG>;
  constexpr int TT = C::TT_B;
  extern __shared__ __align__(128) char smem[];
  Carve cv{smem};
  if (dr < D) zero_shared(smem, Smem<T, D, BIG>::bq1, threadIdx.x, Cfg<T, D, BIG>::NT);  // padded head
  QTile<T, D, BIG> s = carve_q_tile<T, D, BIG>(cv);
  float* scratch = cv.take<float>(std::size_t(C::NW) * 2 * D);
  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
  const Slice sl = my_slice(L, TT);
  const std::size_t bh = std::size_t(sl.b) * H + sl.h;
  s.Sp = S_mma + bh * 2 * D * D;
  s.lds = D;
  if constexpr (SM::bq1_s_smem) {
    T* Ss = cv.take<T>(std::size_t(2 * D) * C::LDX);
    load_state<T, D, C::NT>(Ss, s.Sp, tid);
    s.Sp = Ss;
    s.lds = C::LDX;
  }
  load_w<T, D, C::NT>(s.W, w_q + std::size_t(sl.h) * dr * dr, dr, tid);
  load_vec<2 * D, C::NT>(s.zs, z + bh * 2 * D, tid);
  load_vec<D, C::NT>(s.mu, mu + bh * D, tid);
  __syncthreads();
  const T* qb = rows_of<T>(q, sl.b, sl.h);
  const T* db = rows_of<T>(dout, sl.b, sl.h);
  const T* sb = soft.ptr ? rows_of<T>(soft, sl.b, sl.h) : nullptr;
  const float gscale = r ? 1.f - *r : 1.f;

  float zacc[2 * C::E] = {};
  float dr_acc = 0.f;
  WarpAcc<T, 2 * D, D, C::NW> dS;
  dS.zero();
  for (int t = sl.tile_begin; t < sl.tile_end; ++t) {
    q_tile_forward<T, D, BIG>(s, qb, q.sl, db, dout.sl, sb, soft.sl, gscale, t, L, dr, tid, warp, lane, sb ? &dr_acc : nullptr);
    for (int rr = warp; rr < TT; rr += C::NW) {
      const float dd = s.dden[rr];
#pragma unroll
      for (int e = 0; e < 2 * C::E; ++e) zacc[e] += to_f(s.phi[rr * C::LDP + lane + 32 * e]) * dd;
    }
    dS.template add<TT, ColM, RowM>(s.phi, C::LDP, s.gs, C::LDX, warp);  // dS += phi^T g
    __syncthreads();
  }
  const std::size_t part = bh * sl.chunks + sl.chunk;
  dS.store(dS_part + part * 2 * D * D, D, warp);
  reduce_columns<T, D>(zacc, scratch, dz_part + part * 2 * D, warp, lane, tid);
  if (sb) {
    // dr partial of this block: lanes, then warps, in order
    __syncthreads();
    const float wsum = warp_sum(dr_acc);
    if (lane == 0) scratch[warp] = wsum;
    __syncthreads();
    if (tid == 0) {
      float total = 0.f;
      for (int w = 0; w < C::NW; ++w) total += scratch[w];
      dr_part[part] = total;
    }
  }
}

// Backward over q tokens, part 2: dphi = g S^T + dden z^T, through the feature map to dA, then
// dq = dA W^T and dW_q partials += q^T dA.
template <class T, int D, bool BIG>
__global__ void __launch_bounds__(Cfg<T, D, BIG>::NT, 1)
    bq_grad_kernel(int H, int B, int L, int dr, Rows q, Rows dout, const float* __restrict__ r, const float* __restrict__ w_q,
                   const T* __restrict__ S_mma, const float* __restrict__ z, MutRows dq,
                   float* __restrict__ dw_part) {
  using C = Cfg<T, D, BIG>;
  using SM = Smem<T, D, BIG>;
  constexpr int TT = C::TT_B;
  extern __shared__ __align__(128) char smem[];
  Carve cv{smem};
  if (dr < D) zero_shared(smem, Smem<T, D, BIG>::bq2, threadIdx.x, Cfg<T, D, BIG>::NT);  // padded head
  QTile<T, D, BIG> s = carve_q_tile<T, D, BIG>(cv);
  cv.take<float>(std::size_t(C::NW) * 2 * D);  // same layout as bq_state_kernel
  float* G = cv.take<float>(std::size_t(TT) * C::LDG);
  T* dA = cv.take<T>(std::size_t(TT) * C::LDX);
  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
  const Slice sl = my_slice(L, TT);
  const std::size_t bh = std::size_t(sl.b) * H + sl.h;
  s.Sp = S_mma + bh * 2 * D * D;
  s.lds = D;
  if constexpr (SM::bq2_s_smem) {
    T* Ss = cv.take<T>(std::size_t(2 * D) * C::LDX);
    load_state<T, D, C::NT>(Ss, s.Sp, tid);
    s.Sp = Ss;
    s.lds = C::LDX;
  }
  load_w<T, D, C::NT>(s.W, w_q + std::size_t(sl.h) * dr * dr, dr, tid);
  load_vec<2 * D, C::NT>(s.zs, z + bh * 2 * D, tid);
  const T* qb = rows_of<T>(q, sl.b, sl.h);
  const T* db = rows_of<T>(dout, sl.b, sl.h);
  T* dqb = rows_of<T>(dq, sl.b, sl.h);
  const float gscale = r ? 1.f - *r : 1.f;

  WarpAcc<T, D, D, C::NW> dW;
  dW.zero();
  for (int t = sl.tile_begin; t < sl.tile_end; ++t) {
    q_tile_forward<T, D, BIG>(s, qb, q.sl, db, dout.sl, nullptr, 0, gscale, t, L, dr, tid, warp, lane, nullptr);
    gemm_to<T, TT, 2 * D, D, RowM, ColM, C::NW>(s.gs, C::LDX, s.Sp, s.lds, G, C::LDG, warp);  // g S^T
    __syncthreads();
    feature_backward_rows<T, D>(G, s.phi, s.dden, s.zs, dA, TT, L - t * TT, warp, lane);
    __syncthreads();
    gemm_to<T, TT, D, D, RowM, ColM, C::NW>(dA, C::LDX, s.W, C::LDX, s.A, C::LDA, warp);  // dq = dA W^T
    dW.template add<TT, ColM, RowM>(s.xs, C::LDX, dA, C::LDX, warp);                      // dW += q^T dA
    __syncthreads();
    store_rows<T, D, C::NT>(dqb, dq.sl, s.A, t * TT, L, TT, dr, tid);
    __syncthreads();
  }
  // dW partials laid out [H][B][chunks][D][D] so that one reduction sums over batch and chunks
  const std::size_t part = (std::size_t(sl.h) * B + sl.b) * sl.chunks + sl.chunk;
  dW.store(dw_part + part * D * D, D, warp);
}

// Backward over k tokens: dphi = (v - mu) dS^T + 1 dz^T (dz the centred one, so the large
// common part of v cancels exactly instead of in rounded products), dv = phi dS, through the
// feature map to dA, dk = dA W^T, dW_k partials += k^T dA.
template <class T, int D, bool BIG>
__global__ void __launch_bounds__(Cfg<T, D, BIG>::NT, 1)
    bkv_kernel(int H, int B, int L, int dr, Rows k, Rows v, const float* __restrict__ w_k, const T* __restrict__ dS_mma,
               const float* __restrict__ dz, const float* __restrict__ mu, MutRows dk, MutRows dv,
               float* __restrict__ dw_part) {
  using C = Cfg<T, D, BIG>;
  using SM = Smem<T, D, BIG>;
  constexpr int TT = C::TT_B;
  extern __shared__ __align__(128) char smem[];
  Carve cv{smem};
  if (dr < D) zero_shared(smem, Smem<T, D, BIG>::bkv, threadIdx.x, Cfg<T, D, BIG>::NT);  // padded head
  T* W = cv.take<T>(std::size_t(D) * C::LDX);
  float* dzs = cv.take<float>(3 * D);  // dz, then mu
  float* mus = dzs + 2 * D;
  T* ks = cv.take<T>(std::size_t(TT) * C::LDX);
  T* vs = cv.take<T>(std::size_t(TT) * C::LDX);
  float* A = cv.take<float>(std::size_t(TT) * C::LDA);
  T* phi = cv.take<T>(std::size_t(TT) * C::LDP);
  float* G = cv.take<float>(std::size_t(TT) * C::LDG);
  T* dA = cv.take<T>(std::size_t(TT) * C::LDX);
  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
  const Slice sl = my_slice(L, TT);
  const std::size_t bh = std::size_t(sl.b) * H + sl.h;
  const T* Sp = dS_mma + bh * 2 * D * D;
  int lds = D;
  if constexpr (SM::bkv_s_smem) {
    T* Ss = cv.take<T>(std::size_t(2 * D) * C::LDX);
    load_state<T, D, C::NT>(Ss, Sp, tid);
    Sp = Ss;
    lds = C::LDX;
  }
  load_w<T, D, C::NT>(W, w_k + std::size_t(sl.h) * dr * dr, dr, tid);
  load_vec<2 * D, C::NT>(dzs, dz + bh * 2 * D, tid);
  load_vec<D, C::NT>(mus, mu + bh * D, tid);
  const T* kb = rows_of<T>(k, sl.b, sl.h);
  const T* vb = rows_of<T>(v, sl.b, sl.h);
  T* dkb = rows_of<T>(dk, sl.b, sl.h);
  T* dvb = rows_of<T>(dv, sl.b, sl.h);

  WarpAcc<T, D, D, C::NW> dW;
  dW.zero();
  for (int t = sl.tile_begin; t < sl.tile_end; ++t) {
    load_rows_async<T, D, TT, C::NT>(ks, kb, k.sl, t * TT, L, dr, tid);
    load_rows_async<T, D, TT, C::NT>(vs, vb, v.sl, t * TT, L, dr, tid);
    cp_async_commit();
    cp_async_wait<0>();
    __syncthreads();
    gemm_to<T, TT, D, D, RowM, RowM, C::NW>(ks, C::LDX, W, C::LDX, A, C::LDA, warp);
    for (int i = tid; i < TT * dr; i += C::NT) {  // v - mu, for the rows that exist
      const int rr = i / dr, c = i % dr;
      if (t * TT + rr < L) vs[rr * C::LDX + c] = cast_to<T>(mma_round<T>(to_f(vs[rr * C::LDX + c]) - mus[c]));
    }
    __syncthreads();
    feature_rows<T, D>(A, phi, TT, L - t * TT, dr, warp, lane, nullptr, nullptr, nullptr);
    __syncthreads();
    gemm_to<T, TT, 2 * D, D, RowM, ColM, C::NW>(vs, C::LDX, Sp, lds, G, C::LDG, warp);   // v dS^T
    gemm_to<T, TT, D, 2 * D, RowM, RowM, C::NW>(phi, C::LDP, Sp, lds, A, C::LDA, warp);  // dv = phi dS
    __syncthreads();
    store_rows<T, D, C::NT>(dvb, dv.sl, A, t * TT, L, TT, dr, tid);
    feature_backward_rows<T, D>(G, phi, nullptr, dzs, dA, TT, L - t * TT, warp, lane);
    __syncthreads();
    gemm_to<T, TT, D, D, RowM, ColM, C::NW>(dA, C::LDX, W, C::LDX, A, C::LDA, warp);  // dk = dA W^T
    dW.template add<TT, ColM, RowM>(ks, C::LDX, dA, C::LDX, warp);                    // dW += k^T dA
    __syncthreads();
    store_rows<T, D, C::NT>(dkb, dk.sl, A, t * TT, L, TT, dr, tid);
    __syncthreads();
  }
  const std::size_t part = (std::size_t(sl.h) * B + sl.b) * sl.chunks + sl.chunk;
  dW.store(dw_part + part * D * D, D, warp);
}

// The backward's state, centred: mu = sum_f S[f] / sum_f z[f] (the mean of v over the keys, since
// each half of phi sums to one) and S_c = S - z mu^T in the multiply type. With S_c in place of S,
// g S^T - (g . o) z becomes g S_c^T - (g . (o - mu)) z: the same value, without subtracting two
// large, nearly equal rounded terms when v has a large common part (bf16 lost about 5% of dq at
// 4,095 tokens that way). One block per batch-head, one thread per column.
template <class T>
__global__ void __launch_bounds__(512) center_state_kernel(const float* __restrict__ S, const float* __restrict__ z,
                                                          int P, T* __restrict__ S_c, float* __restrict__ mu) {
  __shared__ float col[512], zpart[512], mean[128];
  const std::size_t g = blockIdx.x;
  const float* Sg = S + g * 2 * P * P;
  const float* zg = z + g * 2 * P;
  const int tid = threadIdx.x, parts = blockDim.x / P, d = tid % P, part = tid / P;
  float c = 0.f, zs = 0.f;
  if (part < parts)
    for (int f = part; f < 2 * P; f += parts) c += Sg[std::size_t(f) * P + d], zs += zg[f] * (d == 0);
  col[tid] = c;
  zpart[tid] = zs;
  __syncthreads();
  if (tid < P) {
    float cs = 0.f, zsum = 0.f;
    for (int k = 0; k < parts; ++k) cs += col[k * P + tid], zsum += zpart[k * P];
    mean[tid] = zsum > 0.f ? cs / zsum : 0.f;
    mu[g * P + tid] = mean[tid];
  }
  __syncthreads();
  for (int i = tid; i < 2 * P * P; i += blockDim.x)
    S_c[g * 2 * P * P + i] = cast_to<T>(mma_round<T>(Sg[i] - zg[i / P] * mean[i % P]));
}

// ==== backward, mma.sync (bf16 on the big configuration) ===========================================
// The same maths as the WMMA kernels above, on the pattern of state_mma_kernel: 64-row tiles and 8
// warps; warp w takes rows 16 (w % 4).. and one half (w / 4) of the columns in every per-row step,
// so row statistics are traded between two warps through a small shared array, and each operand
// reaches the tensor cores through ldmatrix. Accumulators that last the whole slice (dS, dW) are
// split into one block per warp and stay in registers.

// acc[j] (n8 tile j of a 16 x N product) += X[16 x K] M^T, where M is [N x K] row-major bf16 in
// shared memory (so the B operand is M's rows, read without transposing).
template <int K, int N>
__device__ __forceinline__ void warp_gemm_smem_bt(float (&acc)[N / 8][4], const bf16* X, int ldx, const bf16* M, int ldm,
                                                  int lane) {
#pragma unroll
  for (int kk = 0; kk < K / 16; ++kk) {
    unsigned a[4];
    ldsm_x4(a, X + (lane % 16) * ldx + kk * 16 + (lane / 16) * 8);
#pragma unroll
    for (int jp = 0; jp < N / 16; ++jp) {
      unsigned b[4];
      ldsm_x4(b, M + (jp * 16 + (lane % 8) + (lane / 16) * 8) * ldm + kk * 16 + ((lane / 8) & 1) * 8);
      mma16816(acc[2 * jp], a, b[0], b[1]);
      mma16816(acc[2 * jp + 1], a, b[2], b[3]);
    }
  }
}

// A fragment of X^T for rows m0.. (16 of them) and k rows k0.. of X (16 tokens), X [tokens x m]
// row-major in shared memory.
__device__ __forceinline__ void ldsm_a_transposed(unsigned (&a)[4], const bf16* X, int ldx, int k0, int m0, int lane) {
  ldsm_x4_t(a, X + (k0 + (lane % 8) + (lane / 16) * 8) * ldx + m0 + ((lane / 8) & 1) * 8);
}

template <int D>
struct BwdMma {
  static constexpr int NW = 8;
  static constexpr int NT = NW * 32;
  static constexpr int TT = 64;
  static constexpr int LDX = D + 8;
  static constexpr int LDP = 2 * D + 8;
  static constexpr int HALF = D / 2;
  static constexpr int NQ = 8;  // row statistics traded between the two column halves (see Red)
  static constexpr std::size_t mat = align_up(std::size_t(D) * LDX * 2);
  static constexpr std::size_t state = align_up(std::size_t(2 * D) * LDX * 2);
  static constexpr std::size_t tile = align_up(std::size_t(TT) * LDX * 2);
  static constexpr std::size_t phi = align_up(std::size_t(TT) * LDP * 2);
  static constexpr std::size_t red = align_up(std::size_t(NQ) * 2 * TT * 4);
  static constexpr std::size_t vecs = align_up(std::size_t(3 * D + TT) * 4);  // z or dz, mu, dden
  // W, the state, two stages of two tiles (x and dO or v: the next tile loads while this one is
  // worked on), phi, the statistics and vectors. dA takes the place of the consumed dO or v tile.
  static constexpr std::size_t bq1 = mat + state + 4 * tile + phi + red + vecs;
  static constexpr std::size_t grad = bq1;
};

// Row statistics of a 64-row tile: red[quantity][column half][row]. put() publishes this warp's
// (quad-reduced) value for its two rows per lane, both() sums or maxes the halves.
struct Red {
  float* p;
  int rb, ch, g, tq;
  static constexpr int TT = 64;
  enum : int { Max, Min, SumP, SumN, Den, DotO, DotP, DotN };
  __device__ void put(int q, const float (&v)[2]) const {
    if (tq == 0)
      for (int h = 0; h < 2; ++h) p[(q * 2 + ch) * TT + rb * 16 + g + 8 * h] = v[h];
  }
  __device__ float half(int q, int which, int h) const { return p[(q * 2 + which) * TT + rb * 16 + g + 8 * h]; }
  __device__ float sum(int q, int h) const { return half(q, 0, h) + half(q, 1, h); }
};

// Feature map of a 64-row tile x (shared, [64][D]): phi = [softmax(x W), softmax(-x W)] rounded to
// bf16, written to phi (shared, [64][2D]); rows >= valid are zero. With z, also returns this lane's
// two rows' den = max(phi . z, 1e-12) (1 for rows past the end). Contains block barriers: every
// thread of the block calls it.
template <int D>
__device__ void tile_features(const bf16* x, const bf16* W, bf16* phi, const Red& red, int valid, int dr,
                              const float* z, float (&den)[2], int lane) {
  using BM = BwdMma<D>;
  constexpr int LDX = BM::LDX, LDP = BM::LDP, HALF = BM::HALF, NJ = HALF / 8;
  const int rb = red.rb, ch = red.ch, g = red.g, tq = red.tq;
  float a[NJ][4];
#pragma unroll
  for (int j = 0; j < NJ; ++j) a[j][0] = a[j][1] = a[j][2] = a[j][3] = 0.f;
  warp_gemm_smem_a<D, HALF>(a, x + rb * 16 * LDX, LDX, W + ch * HALF, LDX, lane);
  float mx[2], mn[2];
  masked_row_minmax(a, ch * HALF + 2 * tq, dr, mx, mn);
  red.put(Red::Max, mx);
  red.put(Red::Min, mn);
  __syncthreads();
#pragma unroll
  for (int h = 0; h < 2; ++h)
    mx[h] = fmaxf(red.half(Red::Max, 0, h), red.half(Red::Max, 1, h)),
    mn[h] = fminf(red.half(Red::Min, 0, h), red.half(Red::Min, 1, h));
  float n[NJ][4], sp[2] = {0.f, 0.f}, sn[2] = {0.f, 0.f};
#pragma unroll
  for (int j = 0; j < NJ; ++j)
#pragma unroll
    for (int e = 0; e < 4; ++e) {
      const bool col = ch * HALF + 8 * j + 2 * tq + (e & 1) < dr;
      const float p = col ? __expf(a[j][e] - mx[e / 2]) : 0.f;
      n[j][e] = col ? __expf(mn[e / 2] - a[j][e]) : 0.f;
      a[j][e] = p;
      sp[e / 2] += p;
      sn[e / 2] += n[j][e];
    }
#pragma unroll
  for (int h = 0; h < 2; ++h) sp[h] = quad_sum(sp[h]), sn[h] = quad_sum(sn[h]);
  red.put(Red::SumP, sp);
  red.put(Red::SumN, sn);
  __syncthreads();
  bool ok[2];
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    ok[h] = rb * 16 + g + 8 * h < valid;  // rows past the end get phi = 0
    sp[h] = ok[h] ? 1.f / red.sum(Red::SumP, h) : 0.f;
    sn[h] = ok[h] ? 1.f / red.sum(Red::SumN, h) : 0.f;
  }
  float dot[2] = {0.f, 0.f};
#pragma unroll
  for (int j = 0; j < NJ; ++j)
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const int row = rb * 16 + g + 8 * h, c = ch * HALF + 8 * j + 2 * tq;
      const unsigned pp = pack_bf16(a[j][2 * h] * sp[h], a[j][2 * h + 1] * sp[h]);
      const unsigned pn = pack_bf16(n[j][2 * h] * sn[h], n[j][2 * h + 1] * sn[h]);
      *reinterpret_cast<unsigned*>(phi + row * LDP + c) = pp;
      *reinterpret_cast<unsigned*>(phi + row * LDP + D + c) = pn;
      if (z) {  // the normaliser with the rounded values the tensor cores see
        const __nv_bfloat162 p2 = *reinterpret_cast<const __nv_bfloat162*>(&pp);
        const __nv_bfloat162 n2 = *reinterpret_cast<const __nv_bfloat162*>(&pn);
        dot[h] += __bfloat162float(p2.x) * z[c] + __bfloat162float(p2.y) * z[c + 1] +
                  __bfloat162float(n2.x) * z[D + c] + __bfloat162float(n2.y) * z[D + c + 1];
      }
    }
  if (z) {
#pragma unroll
    for (int h = 0; h < 2; ++h) dot[h] = quad_sum(dot[h]);
    red.put(Red::Den, dot);
    __syncthreads();
#pragma unroll
    for (int h = 0; h < 2; ++h) den[h] = ok[h] ? fmaxf(red.sum(Red::Den, h), 1e-12f) : 1.f;
  }
}

// The query side's shared front, after tile_features: o_c = phi S_c / den (= o - mu, since S_c is
// the centred state), then in place of dO (shared gs) g = gscale dO / den in bf16, and dden =
// -gscale (dO . o_c) / den per row to shared dden_s. With soft (global rows of this tile), adds
// sum dO (soft - o) over this lane's elements to *dr_acc. Contains a block barrier.
template <int D>
__device__ void q_front(const bf16* phi, const bf16* Ss, bf16* gs, float* dden_s, const Red& red, const float (&den)[2],
                        const bf16* soft_rows, std::int64_t ssl, const float* mu, float gscale, int valid, int dr,
                        int lane, float* dr_acc) {
  using BM = BwdMma<D>;
  constexpr int LDX = BM::LDX, LDP = BM::LDP, HALF = BM::HALF, NJ = HALF / 8;
  const int rb = red.rb, ch = red.ch, g = red.g, tq = red.tq;
  float acc[NJ][4];
#pragma unroll
  for (int j = 0; j < NJ; ++j) acc[j][0] = acc[j][1] = acc[j][2] = acc[j][3] = 0.f;
  warp_gemm_smem_a<2 * D, HALF>(acc, phi + rb * 16 * LDP, LDP, Ss + ch * HALF, LDX, lane);
  float inv[2], dot[2] = {0.f, 0.f};
#pragma unroll
  for (int h = 0; h < 2; ++h) inv[h] = 1.f / den[h];
  float drp = 0.f;
#pragma unroll
  for (int j = 0; j < NJ; ++j)
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const int row = rb * 16 + g + 8 * h, c = ch * HALF + 8 * j + 2 * tq;
      const __nv_bfloat162 d2 = *reinterpret_cast<const __nv_bfloat162*>(gs + row * LDX + c);
      const float d0 = __bfloat162float(d2.x), d1 = __bfloat162float(d2.y);
      const float o0 = acc[j][2 * h] * inv[h], o1 = acc[j][2 * h + 1] * inv[h];
      dot[h] += d0 * o0 + d1 * o1;
      if (soft_rows && row < valid && c < dr) {
        const __nv_bfloat162 s2 = *reinterpret_cast<const __nv_bfloat162*>(soft_rows + std::int64_t(row) * ssl + c);
        drp += d0 * (__bfloat162float(s2.x) - o0 - mu[c]) + d1 * (__bfloat162float(s2.y) - o1 - mu[c + 1]);
      }
      *reinterpret_cast<unsigned*>(gs + row * LDX + c) = pack_bf16(gscale * d0 * inv[h], gscale * d1 * inv[h]);
    }
  if (dr_acc) *dr_acc += drp;
#pragma unroll
  for (int h = 0; h < 2; ++h) dot[h] = quad_sum(dot[h]);
  red.put(Red::DotO, dot);
  __syncthreads();
  if (ch == 0 && tq == 0)
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const int row = rb * 16 + g + 8 * h;
      dden_s[row] = row < valid ? -gscale * red.sum(Red::DotO, h) * inv[h] : 0.f;
    }
}

// The gradient tail both sides share, for one 64-row tile: dphi = Y M^T + rowscale colvec^T
// (q side: Y = g, M = S_c, rowscale = dden, colvec = z; k side: Y = v - mu, M = dS, rowscale = 1,
// colvec = dz), through the feature map to dA (bf16, written over Y), dx = dA W^T to global rows,
// and dW += x^T dA into this warp's block of the register accumulator. Contains block barriers.
template <int D>
struct GradAcc {
  static constexpr int MT = D / 64, NJ = D / 16;  // a warp's dW block: D/4 rows, D/2 columns
  float acc[MT][NJ][4];
};
template <int D>
__device__ void grad_tail(bf16* Y, const bf16* Ms, const float* rowscale, const float* colvec, const bf16* phi,
                          const bf16* x, const bf16* W, const Red& red, int valid, int dr, bf16* dx_rows,
                          std::int64_t dxsl, GradAcc<D>& dW, int warp, int lane) {
  bf16* dA = Y;  // Y is consumed by the first product (every warp is past it at the first barrier)
  using BM = BwdMma<D>;
  constexpr int LDX = BM::LDX, LDP = BM::LDP, HALF = BM::HALF, NJ = HALF / 8;
  const int rb = red.rb, ch = red.ch, g = red.g, tq = red.tq;
  // dphi for this warp's rows and its half of the columns, in both halves of the features
  float gp[NJ][4], gn[NJ][4];
#pragma unroll
  for (int j = 0; j < NJ; ++j)
#pragma unroll
    for (int e = 0; e < 4; ++e) gp[j][e] = gn[j][e] = 0.f;
  warp_gemm_smem_bt<D, HALF>(gp, Y + rb * 16 * LDX, LDX, Ms + (ch * HALF) * LDX, LDX, lane);
  warp_gemm_smem_bt<D, HALF>(gn, Y + rb * 16 * LDX, LDX, Ms + (D + ch * HALF) * LDX, LDX, lane);
  float sp[2] = {0.f, 0.f}, sn[2] = {0.f, 0.f};
#pragma unroll
  for (int j = 0; j < NJ; ++j)
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const int row = rb * 16 + g + 8 * h, c = ch * HALF + 8 * j + 2 * tq;
      const float rs = rowscale ? rowscale[row] : 1.f;
      const __nv_bfloat162 p2 = *reinterpret_cast<const __nv_bfloat162*>(phi + row * LDP + c);
      const __nv_bfloat162 n2 = *reinterpret_cast<const __nv_bfloat162*>(phi + row * LDP + D + c);
      gp[j][2 * h] += rs * colvec[c];
      gp[j][2 * h + 1] += rs * colvec[c + 1];
      gn[j][2 * h] += rs * colvec[D + c];
      gn[j][2 * h + 1] += rs * colvec[D + c + 1];
      sp[h] += gp[j][2 * h] * __bfloat162float(p2.x) + gp[j][2 * h + 1] * __bfloat162float(p2.y);
      sn[h] += gn[j][2 * h] * __bfloat162float(n2.x) + gn[j][2 * h + 1] * __bfloat162float(n2.y);
    }
#pragma unroll
  for (int h = 0; h < 2; ++h) sp[h] = quad_sum(sp[h]), sn[h] = quad_sum(sn[h]);
  red.put(Red::DotP, sp);
  red.put(Red::DotN, sn);
  __syncthreads();
#pragma unroll
  for (int h = 0; h < 2; ++h) sp[h] = red.sum(Red::DotP, h), sn[h] = red.sum(Red::DotN, h);
#pragma unroll
  for (int j = 0; j < NJ; ++j)
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const int row = rb * 16 + g + 8 * h, c = ch * HALF + 8 * j + 2 * tq;
      const __nv_bfloat162 p2 = *reinterpret_cast<const __nv_bfloat162*>(phi + row * LDP + c);
      const __nv_bfloat162 n2 = *reinterpret_cast<const __nv_bfloat162*>(phi + row * LDP + D + c);
      const bool ok = row < valid;
      const float d0 = ok ? __bfloat162float(p2.x) * (gp[j][2 * h] - sp[h]) - __bfloat162float(n2.x) * (gn[j][2 * h] - sn[h]) : 0.f;
      const float d1 =
          ok ? __bfloat162float(p2.y) * (gp[j][2 * h + 1] - sp[h]) - __bfloat162float(n2.y) * (gn[j][2 * h + 1] - sn[h]) : 0.f;
      *reinterpret_cast<unsigned*>(dA + row * LDX + c) = pack_bf16(d0, d1);
    }
  __syncthreads();
  // dx = dA W^T: this warp's rows and half of the columns, straight to global memory
  float o[NJ][4];
#pragma unroll
  for (int j = 0; j < NJ; ++j) o[j][0] = o[j][1] = o[j][2] = o[j][3] = 0.f;
  warp_gemm_smem_bt<D, HALF>(o, dA + rb * 16 * LDX, LDX, W + (ch * HALF) * LDX, LDX, lane);
#pragma unroll
  for (int j = 0; j < NJ; ++j)
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const int row = rb * 16 + g + 8 * h, c = ch * HALF + 8 * j + 2 * tq;
      if (row < valid && c < dr)
        *reinterpret_cast<unsigned*>(dx_rows + std::int64_t(row) * dxsl + c) = pack_bf16(o[j][2 * h], o[j][2 * h + 1]);
    }
  // dW[wr D/4.., wc D/2..] += x^T dA over the tile's rows
  const int wr = warp % 4, wc = warp / 4;
#pragma unroll
  for (int kk = 0; kk < BM::TT / 16; ++kk) {
    unsigned fa[GradAcc<D>::MT][4];
#pragma unroll
    for (int m = 0; m < GradAcc<D>::MT; ++m) ldsm_a_transposed(fa[m], x, LDX, kk * 16, wr * (D / 4) + m * 16, lane);
#pragma unroll
    for (int jp = 0; jp < GradAcc<D>::NJ / 2; ++jp) {
      unsigned b[4];
      ldsm_x4_t(b, dA + (kk * 16 + (lane % 8) + ((lane / 8) & 1) * 8) * LDX + wc * HALF + jp * 16 + (lane / 16) * 8);
#pragma unroll
      for (int m = 0; m < GradAcc<D>::MT; ++m) {
        mma16816(dW.acc[m][2 * jp], fa[m], b[0], b[1]);
        mma16816(dW.acc[m][2 * jp + 1], fa[m], b[2], b[3]);
      }
    }
  }
}

template <int D>
__device__ void store_grad_acc(const GradAcc<D>& dW, float* out, int warp, int lane) {
  const int wr = warp % 4, wc = warp / 4, g = lane / 4, tq = lane % 4;
#pragma unroll
  for (int m = 0; m < GradAcc<D>::MT; ++m)
#pragma unroll
    for (int j = 0; j < GradAcc<D>::NJ; ++j)
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const int row = wr * (D / 4) + m * 16 + g + 8 * h, col = wc * (D / 2) + 8 * j + 2 * tq;
        *reinterpret_cast<float2*>(out + std::size_t(row) * D + col) = make_float2(dW.acc[m][j][2 * h], dW.acc[m][j][2 * h + 1]);
      }
}

// Shared-memory pieces of the three backward kernels, in one order.
template <int D>
struct BwdSmem {
  static constexpr std::size_t TILE = BwdMma<D>::tile / 2;  // elements from one tile to the next
  bf16 *W, *Ss, *tiles, *phi;  // tiles: x and y of stage 0, then of stage 1
  float *red, *vec, *mu, *dden;
  __device__ bf16* x(int st) const { return tiles + std::size_t(2 * st) * TILE; }
  __device__ bf16* y(int st) const { return tiles + std::size_t(2 * st + 1) * TILE; }
  __device__ explicit BwdSmem(char* smem) {
    using BM = BwdMma<D>;
    Carve cv{smem};
    W = cv.take<bf16>(std::size_t(D) * BM::LDX);
    Ss = cv.take<bf16>(std::size_t(2 * D) * BM::LDX);
    tiles = cv.take<bf16>(4 * TILE);
    phi = cv.take<bf16>(std::size_t(BM::TT) * BM::LDP);
    red = cv.take<float>(std::size_t(BM::NQ) * 2 * BM::TT);
    vec = cv.take<float>(std::size_t(3 * D + BM::TT));
    mu = vec + 2 * D;
    dden = mu + D;
  }
};

// Setup shared by the three kernels: zero the tiles where the head is padded (the copies never
// write padded columns), load W (multiply type), the state and two vectors.
template <int D>
__device__ void bwd_setup(const BwdSmem<D>& s, int dr, const float* w, const bf16* state, const float* vec2d,
                          const float* mu, int tid) {
  using BM = BwdMma<D>;
  if (dr < D)
    for (std::size_t i = tid; i < 4 * BwdSmem<D>::TILE; i += BM::NT) s.tiles[i] = __float2bfloat16(0.f);
  load_state<bf16, D, BM::NT>(s.Ss, state, tid);
  load_w<bf16, D, BM::NT>(s.W, w, dr, tid);
  load_vec<2 * D, BM::NT>(s.vec, vec2d, tid);
  load_vec<D, BM::NT>(s.mu, mu, tid);
  __syncthreads();
}

// Backward over q tokens, part 1: dS = sum phi^T g, dz = sum phi dden (dden in two bf16 pieces,
// hi + lo, so the tensor cores keep about 16 bits of it), and the dr partials.
template <int D>
__global__ void __launch_bounds__(BwdMma<D>::NT, 1)
    bq_state_mma_kernel(int H, int L, int dr, Rows q, Rows dout, Rows soft, const float* __restrict__ r,
                        const float* __restrict__ w_q, const bf16* __restrict__ S_mma, const float* __restrict__ z,
                        const float* __restrict__ mu, float* __restrict__ dS_part, float* __restrict__ dz_part,
                        float* __restrict__ dr_part) {
  using BM = BwdMma<D>;
  constexpr int LDX = BM::LDX, LDP = BM::LDP, TT = BM::TT, HALF = BM::HALF, MT = HALF / 16, NJB = HALF / 8;
  extern __shared__ __align__(128) char smem[];
  const BwdSmem<D> s(smem);
  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
  const Slice sl = my_slice(L, TT);
  const std::size_t bh = std::size_t(sl.b) * H + sl.h;
  bwd_setup<D>(s, dr, w_q + std::size_t(sl.h) * dr * dr, S_mma + bh * 2 * D * D, z + bh * 2 * D, mu + bh * D, tid);
  const Red red{s.red, warp % 4, warp / 4, lane / 4, lane % 4};
  const bf16* qb = rows_of<bf16>(q, sl.b, sl.h);
  const bf16* db = rows_of<bf16>(dout, sl.b, sl.h);
  const bf16* sb = soft.ptr ? rows_of<bf16>(soft, sl.b, sl.h) : nullptr;
  const float gscale = r ? 1.f - *r : 1.f;
  const int mb = warp % 4, nb = warp / 4;  // this warp's block of dS: rows mb HALF.., columns nb HALF..
  float acc[MT][NJB][4];
  float zacc[MT][4];
#pragma unroll
  for (int m = 0; m < MT; ++m) {
#pragma unroll
    for (int j = 0; j < NJB; ++j) acc[m][j][0] = acc[m][j][1] = acc[m][j][2] = acc[m][j][3] = 0.f;
    zacc[m][0] = zacc[m][1] = zacc[m][2] = zacc[m][3] = 0.f;
  }
  float dr_acc = 0.f;
  const int tq = lane % 4;
  auto issue = [&](int stage, int tile) {
    load_rows_async<bf16, D, TT, BM::NT>(s.x(stage), qb, q.sl, tile * TT, L, dr, tid);
    load_rows_async<bf16, D, TT, BM::NT>(s.y(stage), db, dout.sl, tile * TT, L, dr, tid);
  };
  start_tiles(sl, issue);
  for (int t = sl.tile_begin; t < sl.tile_end; ++t) {
    const int st = await_tile(sl, t, issue);
    bf16* gs = s.y(st);
    const int valid = L - t * TT;
    float den[2];
    tile_features<D>(s.x(st), s.W, s.phi, red, valid, dr, s.vec, den, lane);
    __syncthreads();
    q_front<D>(s.phi, s.Ss, gs, s.dden, red, den, sb ? sb + std::int64_t(t) * TT * soft.sl : nullptr, soft.sl, s.mu,
               gscale, valid, dr, lane, sb ? &dr_acc : nullptr);
    __syncthreads();
    // dS[mb.., nb..] += phi^T g; dz += phi^T dden (columns of the ones-like operand all equal)
#pragma unroll
    for (int kk = 0; kk < TT / 16; ++kk) {
      unsigned fa[MT][4];
#pragma unroll
      for (int m = 0; m < MT; ++m) ldsm_a_transposed(fa[m], s.phi, LDP, kk * 16, mb * HALF + m * 16, lane);
#pragma unroll
      for (int jp = 0; jp < NJB / 2; ++jp) {
        unsigned b[4];
        ldsm_x4_t(b, gs + (kk * 16 + (lane % 8) + ((lane / 8) & 1) * 8) * LDX + nb * HALF + jp * 16 + (lane / 16) * 8);
#pragma unroll
        for (int m = 0; m < MT; ++m) {
          mma16816(acc[m][2 * jp], fa[m], b[0], b[1]);
          mma16816(acc[m][2 * jp + 1], fa[m], b[2], b[3]);
        }
      }
      if (nb == 0) {
        float dd[4], lo[4];
        const int k0 = kk * 16 + 2 * tq;
        dd[0] = s.dden[k0], dd[1] = s.dden[k0 + 1], dd[2] = s.dden[k0 + 8], dd[3] = s.dden[k0 + 9];
#pragma unroll
        for (int i = 0; i < 4; ++i) lo[i] = dd[i] - mma_round<bf16>(dd[i]);
        const unsigned h0 = pack_bf16(dd[0], dd[1]), h1 = pack_bf16(dd[2], dd[3]);
        const unsigned l0 = pack_bf16(lo[0], lo[1]), l1 = pack_bf16(lo[2], lo[3]);
#pragma unroll
        for (int m = 0; m < MT; ++m) {
          mma16816(zacc[m], fa[m], h0, h1);
          mma16816(zacc[m], fa[m], l0, l1);
        }
      }
    }
    __syncthreads();  // the tiles, phi and dden are rewritten next
  }
  const std::size_t part = bh * sl.chunks + sl.chunk;
  float* Sp = dS_part + part * 2 * D * D;
  const int g = lane / 4;
#pragma unroll
  for (int m = 0; m < MT; ++m)
#pragma unroll
    for (int j = 0; j < NJB; ++j)
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const int row = mb * HALF + m * 16 + g + 8 * h, col = nb * HALF + 8 * j + 2 * tq;
        *reinterpret_cast<float2*>(Sp + std::size_t(row) * D + col) = make_float2(acc[m][j][2 * h], acc[m][j][2 * h + 1]);
      }
  if (nb == 0 && tq == 0)
#pragma unroll
    for (int m = 0; m < MT; ++m)
#pragma unroll
      for (int h = 0; h < 2; ++h) dz_part[part * 2 * D + mb * HALF + m * 16 + g + 8 * h] = zacc[m][2 * h];
  if (sb) {  // this block's dr partial: lanes, then warps, in order
    const float wsum = warp_sum(dr_acc);
    if (lane == 0) s.red[warp] = wsum;
    __syncthreads();
    if (tid == 0) {
      float total = 0.f;
      for (int w = 0; w < BM::NW; ++w) total += s.red[w];
      dr_part[part] = total;
    }
  }
}

// Backward over q tokens, part 2: the front again, then dphi = g S_c^T + dden z^T through the
// feature map, dq = dA W^T and the dW_q partials.
template <int D>
__global__ void __launch_bounds__(BwdMma<D>::NT, 1)
    bq_grad_mma_kernel(int H, int B, int L, int dr, Rows q, Rows dout, const float* __restrict__ r,
                       const float* __restrict__ w_q, const bf16* __restrict__ S_mma, const float* __restrict__ z,
                       const float* __restrict__ mu, MutRows dq, float* __restrict__ dw_part) {
  using BM = BwdMma<D>;
  constexpr int TT = BM::TT;
  extern __shared__ __align__(128) char smem[];
  const BwdSmem<D> s(smem);
  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
  const Slice sl = my_slice(L, TT);
  const std::size_t bh = std::size_t(sl.b) * H + sl.h;
  bwd_setup<D>(s, dr, w_q + std::size_t(sl.h) * dr * dr, S_mma + bh * 2 * D * D, z + bh * 2 * D, mu + bh * D, tid);
  const Red red{s.red, warp % 4, warp / 4, lane / 4, lane % 4};
  const bf16* qb = rows_of<bf16>(q, sl.b, sl.h);
  const bf16* db = rows_of<bf16>(dout, sl.b, sl.h);
  bf16* dqb = rows_of<bf16>(dq, sl.b, sl.h);
  const float gscale = r ? 1.f - *r : 1.f;
  GradAcc<D> dW;
#pragma unroll
  for (int m = 0; m < GradAcc<D>::MT; ++m)
#pragma unroll
    for (int j = 0; j < GradAcc<D>::NJ; ++j) dW.acc[m][j][0] = dW.acc[m][j][1] = dW.acc[m][j][2] = dW.acc[m][j][3] = 0.f;
  auto issue = [&](int stage, int tile) {
    load_rows_async<bf16, D, TT, BM::NT>(s.x(stage), qb, q.sl, tile * TT, L, dr, tid);
    load_rows_async<bf16, D, TT, BM::NT>(s.y(stage), db, dout.sl, tile * TT, L, dr, tid);
  };
  start_tiles(sl, issue);
  for (int t = sl.tile_begin; t < sl.tile_end; ++t) {
    const int st = await_tile(sl, t, issue);
    const int valid = L - t * TT;
    float den[2];
    tile_features<D>(s.x(st), s.W, s.phi, red, valid, dr, s.vec, den, lane);
    __syncthreads();
    q_front<D>(s.phi, s.Ss, s.y(st), s.dden, red, den, nullptr, 0, s.mu, gscale, valid, dr, lane, nullptr);
    __syncthreads();
    grad_tail<D>(s.y(st), s.Ss, s.dden, s.vec, s.phi, s.x(st), s.W, red, valid, dr,
                 dqb + std::int64_t(t) * TT * dq.sl, dq.sl, dW, warp, lane);
    __syncthreads();
  }
  store_grad_acc<D>(dW, dw_part + ((std::size_t(sl.h) * B + sl.b) * sl.chunks + sl.chunk) * D * D, warp, lane);
}

// Backward over k tokens: phi(k), dv = phi dS, then dphi = (v - mu) dS^T + 1 dz^T through the
// feature map, dk = dA W^T and the dW_k partials.
template <int D>
__global__ void __launch_bounds__(BwdMma<D>::NT, 1)
    bkv_mma_kernel(int H, int B, int L, int dr, Rows k, Rows v, const float* __restrict__ w_k,
                   const bf16* __restrict__ dS_mma, const float* __restrict__ dz, const float* __restrict__ mu, MutRows dk,
                   MutRows dv, float* __restrict__ dw_part) {
  using BM = BwdMma<D>;
  constexpr int LDX = BM::LDX, LDP = BM::LDP, TT = BM::TT, HALF = BM::HALF, NJ = HALF / 8;
  extern __shared__ __align__(128) char smem[];
  const BwdSmem<D> s(smem);
  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
  const Slice sl = my_slice(L, TT);
  const std::size_t bh = std::size_t(sl.b) * H + sl.h;
  bwd_setup<D>(s, dr, w_k + std::size_t(sl.h) * dr * dr, dS_mma + bh * 2 * D * D, dz + bh * 2 * D, mu + bh * D, tid);
  const Red red{s.red, warp % 4, warp / 4, lane / 4, lane % 4};
  const bf16* kb = rows_of<bf16>(k, sl.b, sl.h);
  const bf16* vb = rows_of<bf16>(v, sl.b, sl.h);
  bf16* dkb = rows_of<bf16>(dk, sl.b, sl.h);
  bf16* dvb = rows_of<bf16>(dv, sl.b, sl.h);
  const int rb = red.rb, ch = red.ch, g = red.g, tq = red.tq;
  GradAcc<D> dW;
#pragma unroll
  for (int m = 0; m < GradAcc<D>::MT; ++m)
#pragma unroll
    for (int j = 0; j < GradAcc<D>::NJ; ++j) dW.acc[m][j][0] = dW.acc[m][j][1] = dW.acc[m][j][2] = dW.acc[m][j][3] = 0.f;
  float none[2];
  auto issue = [&](int stage, int tile) {
    load_rows_async<bf16, D, TT, BM::NT>(s.x(stage), kb, k.sl, tile * TT, L, dr, tid);
    load_rows_async<bf16, D, TT, BM::NT>(s.y(stage), vb, v.sl, tile * TT, L, dr, tid);
  };
  start_tiles(sl, issue);
  for (int t = sl.tile_begin; t < sl.tile_end; ++t) {
    const int st = await_tile(sl, t, issue);
    bf16* vt = s.y(st);
    const int valid = L - t * TT;
    tile_features<D>(s.x(st), s.W, s.phi, red, valid, dr, nullptr, none, lane);
    __syncthreads();
    // dv = phi dS for this warp's rows and half of the columns
    float o[NJ][4];
#pragma unroll
    for (int j = 0; j < NJ; ++j) o[j][0] = o[j][1] = o[j][2] = o[j][3] = 0.f;
    warp_gemm_smem_a<2 * D, HALF>(o, s.phi + rb * 16 * LDP, LDP, s.Ss + ch * HALF, LDX, lane);
#pragma unroll
    for (int j = 0; j < NJ; ++j)
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const int row = rb * 16 + g + 8 * h, c = ch * HALF + 8 * j + 2 * tq;
        if (row < valid && c < dr)
          *reinterpret_cast<unsigned*>(dvb + std::int64_t(t * TT + row) * dv.sl + c) = pack_bf16(o[j][2 * h], o[j][2 * h + 1]);
      }
    // v - mu in place, for the real columns (padded ones stay zero)
    for (int i = tid; i < TT * (dr / 2); i += BM::NT) {
      const int row = i / (dr / 2), c = (i % (dr / 2)) * 2;
      __nv_bfloat162* p = reinterpret_cast<__nv_bfloat162*>(vt + row * LDX + c);
      const __nv_bfloat162 v2 = *p;
      *reinterpret_cast<unsigned*>(p) = pack_bf16(__bfloat162float(v2.x) - s.mu[c], __bfloat162float(v2.y) - s.mu[c + 1]);
    }
    __syncthreads();
    grad_tail<D>(vt, s.Ss, nullptr, s.vec, s.phi, s.x(st), s.W, red, valid, dr, dkb + std::int64_t(t) * TT * dk.sl,
                 dk.sl, dW, warp, lane);
    __syncthreads();
  }
  store_grad_acc<D>(dW, dw_part + ((std::size_t(sl.h) * B + sl.b) * sl.chunks + sl.chunk) * D * D, warp, lane);
}

// ==== host side ======================================================================================
struct DeviceInfo {
  int sms = 0, smem_optin = 0, major = 0, minor = 0;
};
// The current device's properties, read once per device.
DeviceInfo device_info() {
  static std::mutex mutex;
  static DeviceInfo cache[64];
  static bool known[64] = {};
  int dev = 0;
  if (cudaGetDevice(&dev) != cudaSuccess || dev < 0) return {};
  const std::lock_guard<std::mutex> lock(mutex);
  if (dev < 64 && known[dev]) return cache[dev];
  DeviceInfo d;
  cudaDeviceGetAttribute(&d.sms, cudaDevAttrMultiProcessorCount, dev);
  cudaDeviceGetAttribute(&d.smem_optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev);
  cudaDeviceGetAttribute(&d.major, cudaDevAttrComputeCapabilityMajor, dev);
  cudaDeviceGetAttribute(&d.minor, cudaDevAttrComputeCapabilityMinor, dev);
  if (dev < 64) cache[dev] = d, known[dev] = true;
  return d;
}

template <class T, int D, bool BIG>
constexpr std::size_t max_smem() {
  using SM = Smem<T, D, BIG>;
  std::size_t m = std::max(std::max(std::max(SM::state, SM::apply), std::max(SM::bq1, SM::bq2)), SM::bkv);
  if constexpr (std::is_same_v<T, bf16> && BIG)
    m = std::max({m, StateMma<D>::bytes, ApplyMma<D, 12>::bytes, BwdMma<D>::grad});
  return m;
}

// One instantiation's types as a value, for the dispatch below.
template <class T, int D, bool BIG>
struct Inst {
  using type = T;
  static constexpr int dim = D;
  static constexpr bool big = BIG;
};
// Calls f(Inst<...>{}) for the dtype, the padded head dim and the configuration.
template <class F>
auto dispatch(DType dtype, int D, bool big, F&& f) {
  const int P = padded_head_dim(D);
  if (dtype == DType::BF16) {
    if (P == 64) return big ? f(Inst<bf16, 64, true>{}) : f(Inst<bf16, 64, false>{});
    return big ? f(Inst<bf16, 128, true>{}) : f(Inst<bf16, 128, false>{});
  }
  if (P == 64) return big ? f(Inst<float, 64, true>{}) : f(Inst<float, 64, false>{});
  return big ? f(Inst<float, 128, true>{}) : f(Inst<float, 128, false>{});
}

std::size_t smem_need(const LinAttnDims& d, bool big) {
  return dispatch(d.dtype, d.D, big, [](auto inst) {
    using I = decltype(inst);
    return max_smem<typename I::type, I::dim, I::big>();
  });
}

int tiles_of(int L, int tt) { return (L + tt - 1) / tt; }
// Chunks per batch-head so that the grid fills the device about once (blocks_per_sm each), and
// every chunk has at least one tile.
int chunks_for(int L, int tt, int bh, int sms, int blocks_per_sm) {
  const int tiles = tiles_of(L, tt);
  const int want = std::max(1, (sms * blocks_per_sm + bh - 1) / bh);
  int c = std::min(tiles, want);
  const int tpc = (tiles + c - 1) / c;
  return (tiles + tpc - 1) / tpc;
}

template <class K>
cudaError_t allow_smem(K kernel, std::size_t bytes) {
  return cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, int(bytes));
}

std::string err(cudaError_t e, const char* where) {
  if (e == cudaSuccess) return {};
  return std::string("linear attention kernel (") + where + "): " + cudaGetErrorString(e);
}

// Blocks of a kernel resident per SM: registers allow one block at head dim 128 (512 threads at up
// to 128 registers) and about one at 64; shared memory may allow fewer.
int blocks_per_sm(int D, std::size_t smem_bytes, int smem_optin) {
  const int by_smem = std::max<int>(1, int(std::size_t(smem_optin) / std::max<std::size_t>(1, smem_bytes + 1024)));
  return std::min(by_smem, D == 128 ? 1 : 2);
}

// Workspace carve-ups (float32 elements); every piece starts on a 256-byte boundary, as the
// tensor-core stores and 16-byte loads need.
constexpr std::size_t seg(std::size_t n) { return (n + 63) & ~std::size_t(63); }
struct ForwardLayout {
  std::size_t S_part = 0, z_part, S_mma, total;
  ForwardLayout(int bh, int D, const LinAttnPlan& p) {
    const std::size_t st = std::size_t(2) * D * D, zn = 2 * D, n = std::size_t(bh);
    z_part = S_part + seg(n * p.state_chunks * st);
    S_mma = z_part + seg(n * p.state_chunks * zn);
    total = S_mma + seg(n * st);  // room for the state in either multiply type
  }
};
struct BackwardLayout {
  std::size_t S_mma = 0, dS_part, dz_part, dr_part, dS, dS_mma, dz, dwq_part, dwk_part, mu, total;
  BackwardLayout(int bh, int D, const LinAttnPlan& p) {
    const std::size_t st = std::size_t(2) * D * D, zn = 2 * D, n = std::size_t(bh), dd = std::size_t(D) * D;
    dS_part = S_mma + seg(n * st);
    dz_part = dS_part + seg(n * p.bq_chunks * st);
    dr_part = dz_part + seg(n * p.bq_chunks * zn);
    dS = dr_part + seg(n * p.bq_chunks);
    dS_mma = dS + seg(n * st);
    dz = dS_mma + seg(n * st);
    dwq_part = dz + seg(n * zn);
    dwk_part = dwq_part + seg(n * p.bq_chunks * dd);
    mu = dwk_part + seg(n * p.bkv_chunks * dd);
    total = mu + seg(n * D);
  }
};

template <class T, int D, bool BIG>
LinAttnPlan plan_for(const LinAttnDims& d, const DeviceInfo& info) {
  using C = Cfg<T, D, BIG>;
  using SM = Smem<T, D, BIG>;
  LinAttnPlan p;
  p.big = BIG;
  const int bh = d.B * d.H;
  p.state_chunks = chunks_for(d.Lk, C::TT_F, bh, info.sms, blocks_per_sm(D, SM::state, info.smem_optin));
  p.apply_chunks = chunks_for(d.Lq, C::TT_F, bh, info.sms, blocks_per_sm(D, SM::apply, info.smem_optin));
  if constexpr (std::is_same_v<T, bf16> && BIG) {
    // bf16 on the big configuration runs the forward on the mma.sync kernels, unless
    // LINVIDEO_KERNELS_FORWARD=wmma asks for the WMMA ones (for comparisons).
    const char* fwd = std::getenv("LINVIDEO_KERNELS_FORWARD");
    p.forward_mma = !(fwd && std::strcmp(fwd, "wmma") == 0);
    if (p.forward_mma) {
      p.state_chunks = chunks_for(d.Lk, StateMma<D>::TT, bh, info.sms, blocks_per_sm(D, StateMma<D>::bytes, info.smem_optin));
      const char* warps = std::getenv("LINVIDEO_KERNELS_APPLY_WARPS");
      p.apply_warps = warps && std::strcmp(warps, "12") == 0 ? 12 : 8;
      p.apply_chunks = chunks_for(d.Lq, ApplyMma<D>::ROWS, bh, info.sms,
                                  blocks_per_sm(D, p.apply_warps == 12 ? ApplyMma<D, 12>::bytes : ApplyMma<D>::bytes,
                                                info.smem_optin));
    }
  }
  p.bq_chunks = chunks_for(d.Lq, C::TT_B, bh, info.sms, blocks_per_sm(D, SM::bq2, info.smem_optin));
  p.bkv_chunks = chunks_for(d.Lk, C::TT_B, bh, info.sms, blocks_per_sm(D, SM::bkv, info.smem_optin));
  if constexpr (std::is_same_v<T, bf16> && BIG) {
    // and the backward on the mma.sync kernels, unless LINVIDEO_KERNELS_BACKWARD=wmma
    const char* bwd = std::getenv("LINVIDEO_KERNELS_BACKWARD");
    p.backward_mma = !(bwd && std::strcmp(bwd, "wmma") == 0);
    if (p.backward_mma) {
      const int per_sm = blocks_per_sm(D, BwdMma<D>::grad, info.smem_optin);
      p.bq_chunks = chunks_for(d.Lq, BwdMma<D>::TT, bh, info.sms, per_sm);
      p.bkv_chunks = chunks_for(d.Lk, BwdMma<D>::TT, bh, info.sms, per_sm);
    }
  }
  p.forward_workspace = ForwardLayout(bh, D, p).total;
  p.backward_workspace = BackwardLayout(bh, D, p).total;
  return p;
}

template <class T>
void launch_reduce(const float* part, int groups, int count, std::size_t n, float* out, T* out_mma, cudaStream_t s) {
  const int threads = 256;
  const int blocks = int(std::min<std::size_t>((n + threads - 1) / threads, 1024));
  reduce_partials_kernel<T><<<dim3(blocks, groups), threads, 0, s>>>(part, count, n, out, out_mma);
}

template <class T, int D, bool BIG>
std::string forward_impl(const LinAttnDims& d, const LinAttnPlan& p, Rows q, Rows k, Rows v, const float* w_q,
                         const float* w_k, Rows soft, const float* r, MutRows o, float* S, float* z, float* ws,
                         cudaStream_t s) {
  using C = Cfg<T, D, BIG>;
  using SM = Smem<T, D, BIG>;
  const int bh = d.B * d.H;
  const std::size_t st = std::size_t(2) * D * D, zn = 2 * D;
  const ForwardLayout l(bh, D, p);
  float* S_part = ws + l.S_part;
  float* z_part = ws + l.z_part;
  T* S_mma = reinterpret_cast<T*>(ws + l.S_mma);
  static const cudaError_t a1 = allow_smem(state_partial_kernel<T, D, BIG>, SM::state);
  static const cudaError_t a2 = allow_smem(apply_kernel<T, D, BIG>, SM::apply);
  if (auto e = err(a1, "shared memory"); !e.empty()) return e;
  if (auto e = err(a2, "shared memory"); !e.empty()) return e;
  if constexpr (std::is_same_v<T, bf16> && BIG) {
    if (p.forward_mma) {
      using SMm = StateMma<D>;
      using AM = ApplyMma<D>;
      using AM12 = ApplyMma<D, 12>;
      static const cudaError_t a3 = allow_smem(state_mma_kernel<D>, SMm::bytes);
      static const cudaError_t a4 = allow_smem(apply_mma_kernel<D, 8>, AM::bytes);
      static const cudaError_t a5 = allow_smem(apply_mma_kernel<D, 12>, AM12::bytes);
      for (cudaError_t a : {a3, a4, a5})
        if (auto e = err(a, "shared memory"); !e.empty()) return e;
      state_mma_kernel<D><<<dim3(p.state_chunks, d.H, d.B), SMm::NT, SMm::bytes, s>>>(d.H, d.Lk, d.D, k, v, w_k, S_part,
                                                                                     z_part);
      launch_reduce<T>(S_part, bh, p.state_chunks, st, S, S_mma, s);
      launch_reduce<T>(z_part, bh, p.state_chunks, zn, z, nullptr, s);
      if (p.apply_warps == 12)
        apply_mma_kernel<D, 12><<<dim3(p.apply_chunks, d.H, d.B), AM12::NT, AM12::bytes, s>>>(d.H, d.Lq, d.D, q, w_q,
                                                                                              S_mma, z, soft, r, o);
      else
        apply_mma_kernel<D, 8><<<dim3(p.apply_chunks, d.H, d.B), AM::NT, AM::bytes, s>>>(d.H, d.Lq, d.D, q, w_q, S_mma,
                                                                                         z, soft, r, o);
      return err(cudaGetLastError(), "forward launch");
    }
  }
  state_partial_kernel<T, D, BIG><<<dim3(p.state_chunks, d.H, d.B), C::NT, SM::state, s>>>(d.H, d.Lk, d.D, k, v, w_k,
                                                                                           S_part, z_part);
  launch_reduce<T>(S_part, bh, p.state_chunks, st, S, S_mma, s);
  launch_reduce<T>(z_part, bh, p.state_chunks, zn, z, nullptr, s);
  apply_kernel<T, D, BIG><<<dim3(p.apply_chunks, d.H, d.B), C::NT, SM::apply, s>>>(d.H, d.Lq, d.D, q, w_q, S_mma, z,
                                                                                   soft, r, o);
  return err(cudaGetLastError(), "forward launch");
}

template <class T, int D, bool BIG>
std::string backward_impl(const LinAttnDims& d, const LinAttnPlan& p, Rows q, Rows k, Rows v, const float* w_q,
                          const float* w_k, Rows soft, const float* r, Rows dout, const float* S, const float* z,
                          MutRows dq, MutRows dk, MutRows dv, float* dw_q, float* dw_k, float* dr, float* ws,
                          cudaStream_t s) {
  using C = Cfg<T, D, BIG>;
  using SM = Smem<T, D, BIG>;
  const int bh = d.B * d.H;
  const std::size_t st = std::size_t(2) * D * D, zn = 2 * D;
  const BackwardLayout l(bh, D, p);
  T* S_mma = reinterpret_cast<T*>(ws + l.S_mma);
  float* dS_part = ws + l.dS_part;
  float* dz_part = ws + l.dz_part;
  float* dr_part = ws + l.dr_part;
  float* dS = ws + l.dS;
  T* dS_mma = reinterpret_cast<T*>(ws + l.dS_mma);
  float* dz = ws + l.dz;
  float* dwq_part = ws + l.dwq_part;
  float* dwk_part = ws + l.dwk_part;
  static const cudaError_t a1 = allow_smem(bq_state_kernel<T, D, BIG>, SM::bq1);
  static const cudaError_t a2 = allow_smem(bq_grad_kernel<T, D, BIG>, SM::bq2);
  static const cudaError_t a3 = allow_smem(bkv_kernel<T, D, BIG>, SM::bkv);
  for (cudaError_t a : {a1, a2, a3})
    if (auto e = err(a, "shared memory"); !e.empty()) return e;
  // S centred, in the multiply type, and its mean row
  float* mu = ws + l.mu;
  center_state_kernel<T><<<bh, 512, 0, s>>>(S, z, D, S_mma, mu);
  if constexpr (std::is_same_v<T, bf16> && BIG) {
    if (p.backward_mma) {
      using BM = BwdMma<D>;
      static const cudaError_t m1 = allow_smem(bq_state_mma_kernel<D>, BM::bq1);
      static const cudaError_t m2 = allow_smem(bq_grad_mma_kernel<D>, BM::grad);
      static const cudaError_t m3 = allow_smem(bkv_mma_kernel<D>, BM::grad);
      for (cudaError_t a : {m1, m2, m3})
        if (auto e = err(a, "shared memory"); !e.empty()) return e;
      bq_state_mma_kernel<D><<<dim3(p.bq_chunks, d.H, d.B), BM::NT, BM::bq1, s>>>(d.H, d.Lq, d.D, q, dout, soft, r, w_q,
                                                                                  S_mma, z, mu, dS_part, dz_part, dr_part);
      launch_reduce<T>(dS_part, bh, p.bq_chunks, st, dS, dS_mma, s);
      launch_reduce<T>(dz_part, bh, p.bq_chunks, zn, dz, nullptr, s);
      if (soft.ptr && dr) launch_reduce<T>(dr_part, 1, bh * p.bq_chunks, 1, dr, nullptr, s);
      bq_grad_mma_kernel<D><<<dim3(p.bq_chunks, d.H, d.B), BM::NT, BM::grad, s>>>(d.H, d.B, d.Lq, d.D, q, dout, r, w_q,
                                                                                  S_mma, z, mu, dq, dwq_part);
      bkv_mma_kernel<D><<<dim3(p.bkv_chunks, d.H, d.B), BM::NT, BM::grad, s>>>(d.H, d.B, d.Lk, d.D, k, v, w_k, dS_mma,
                                                                               dz, mu, dk, dv, dwk_part);
      launch_reduce<T>(dwq_part, d.H, d.B * p.bq_chunks, std::size_t(D) * D, dw_q, nullptr, s);
      launch_reduce<T>(dwk_part, d.H, d.B * p.bkv_chunks, std::size_t(D) * D, dw_k, nullptr, s);
      return err(cudaGetLastError(), "backward launch");
    }
  }
  bq_state_kernel<T, D, BIG><<<dim3(p.bq_chunks, d.H, d.B), C::NT, SM::bq1, s>>>(d.H, d.Lq, d.D, q, dout, soft, r, w_q,
                                                                                 S_mma, z, mu, dS_part, dz_part, dr_part);
  launch_reduce<T>(dS_part, bh, p.bq_chunks, st, dS, dS_mma, s);
  launch_reduce<T>(dz_part, bh, p.bq_chunks, zn, dz, nullptr, s);
  if (soft.ptr && dr) launch_reduce<T>(dr_part, 1, bh * p.bq_chunks, 1, dr, nullptr, s);
  bq_grad_kernel<T, D, BIG><<<dim3(p.bq_chunks, d.H, d.B), C::NT, SM::bq2, s>>>(d.H, d.B, d.Lq, d.D, q, dout, r, w_q,
                                                                                S_mma, z, dq, dwq_part);
  bkv_kernel<T, D, BIG><<<dim3(p.bkv_chunks, d.H, d.B), C::NT, SM::bkv, s>>>(d.H, d.B, d.Lk, d.D, k, v, w_k, dS_mma, dz,
                                                                             mu, dk, dv, dwk_part);
  launch_reduce<T>(dwq_part, d.H, d.B * p.bq_chunks, std::size_t(D) * D, dw_q, nullptr, s);
  launch_reduce<T>(dwk_part, d.H, d.B * p.bkv_chunks, std::size_t(D) * D, dw_k, nullptr, s);
  return err(cudaGetLastError(), "backward launch");
}

}  // namespace

bool rows_aligned(const void* p, std::int64_t sb, std::int64_t sh, std::int64_t sl, DType dtype) {
  const std::int64_t vec = dtype == DType::BF16 ? 8 : 4;
  return reinterpret_cast<std::uintptr_t>(p) % 16 == 0 && sb % vec == 0 && sh % vec == 0 && sl % vec == 0;
}

int padded_head_dim(int D) { return D <= 64 ? 64 : 128; }

std::string linear_attention_unsupported(const LinAttnDims& d) {
  if (d.D < 8 || d.D > 128 || d.D % 8 != 0)
    return "head dim " + std::to_string(d.D) + " (the kernels take multiples of 8 up to 128)";
  if (d.B < 1 || d.H < 1 || d.Lq < 1 || d.Lk < 1) return "an empty tensor";
  if (d.H > 65535 || d.B > 65535) return "more than 65535 heads or batches";
  const DeviceInfo info = device_info();
  if (info.sms == 0) return "no CUDA device";
  if (info.major < 8)
    return "compute capability " + std::to_string(info.major) + "." + std::to_string(info.minor) +
           " (the kernels need 8.0 or later)";
  const std::size_t need = smem_need(d, false);
  if (need > std::size_t(info.smem_optin))
    return "the device allows " + std::to_string(info.smem_optin / 1024) +
           " KiB of shared memory per block, the kernels need " + std::to_string(need / 1024) + " KiB";
  return {};
}

LinAttnPlan make_plan(const LinAttnDims& d) {
  const DeviceInfo info = device_info();
  // LINVIDEO_KERNELS_COMPACT=1 forces the compact configuration (the harness tests it on Hopper).
  const char* compact = std::getenv("LINVIDEO_KERNELS_COMPACT");
  const bool big = smem_need(d, true) <= std::size_t(info.smem_optin) && !(compact && compact[0] == '1');
  return dispatch(d.dtype, d.D, big, [&](auto inst) {
    using I = decltype(inst);
    return plan_for<typename I::type, I::dim, I::big>(d, info);
  });
}

std::string launch_linear_attention_forward(const LinAttnDims& d, const LinAttnPlan& p, Rows q, Rows k, Rows v,
                                            const float* w_q, const float* w_k, Rows soft, const float* r, MutRows o,
                                            float* S, float* z, float* ws, cudaStream_t s) {
  return dispatch(d.dtype, d.D, p.big, [&](auto inst) {
    using I = decltype(inst);
    return forward_impl<typename I::type, I::dim, I::big>(d, p, q, k, v, w_q, w_k, soft, r, o, S, z, ws, s);
  });
}

std::string launch_linear_attention_backward(const LinAttnDims& d, const LinAttnPlan& p, Rows q, Rows k, Rows v,
                                             const float* w_q, const float* w_k, Rows soft, const float* r, Rows dout,
                                             const float* S, const float* z, MutRows dq, MutRows dk, MutRows dv,
                                             float* dw_q, float* dw_k, float* dr, float* ws, cudaStream_t s) {
  return dispatch(d.dtype, d.D, p.big, [&](auto inst) {
    using I = decltype(inst);
    return backward_impl<typename I::type, I::dim, I::big>(d, p, q, k, v, w_q, w_k, soft, r, dout, S, z, dq, dk, dv,
                                                           dw_q, dw_k, dr, ws, s);
  });
}

double device_peak_bandwidth_gbs() {
  int dev = 0, clock_khz = 0, bus_bits = 0;
  if (cudaGetDevice(&dev) != cudaSuccess) return 0;
  if (cudaDeviceGetAttribute(&clock_khz, cudaDevAttrMemoryClockRate, dev) != cudaSuccess) return 0;
  if (cudaDeviceGetAttribute(&bus_bits, cudaDevAttrGlobalMemoryBusWidth, dev) != cudaSuccess) return 0;
  return 2.0 * clock_khz * 1e3 * (bus_bits / 8.0) / 1e9;  // double data rate
}

void device_synchronize() { cudaDeviceSynchronize(); }

}  // namespace linvideo::kernels
