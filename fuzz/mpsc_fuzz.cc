// mpsc_fuzz: the xfer and central MPSC boxes alone, every form on the same
// program (differential), each against an exact reference model.
//
// Forms (all with their checks on):
//   lockfree  hz3::LockFreeMpscList<{consumer_token, structure}>  (S142 xfer/central)
//   mutex     hz3::MutexList<false>                                (central, mutex form)
//   slots     hz3::MutexSlots<{structure}> (8 slots) + a MutexList overflow: a refused
//             push goes to the overflow list, as hz3 sends it to central; the consumer
//             pops xfer first, then the overflow (as shard refill does).
//
// Input format, versions 0x01 and 0x02 (no multi-byte fields; unknown bits are
// ignored):
//   byte 0   version, 0x01 or 0x02 (anything else: input ignored)
//   byte 1   flags: bit 0 = concurrent mode; bits 1-2 = producers - 1 (1..4)
//   bytes 2+ ops, each one op byte `o` (kind = o & 7, arg = o >> 3) and maybe one
//            argument byte `b` (a missing argument byte ends the program):
//     0 PUSH     producer arg&3, batch of 1 + b%64 fresh objects, linked and pushed
//     1 STAGE    producer arg&3, appends 1 + b%64 fresh objects to its unpublished batch
//     2 PUBLISH  producer arg&3 pushes its staged batch (nothing staged: no-op)
//     3 POP      consumer pops want = b (0..255). Version 0x02: arg = x (0..31)
//                sets a limit: x == 0 is the exact pop (pop(want)), x > 0 pops
//                with limit = want + 8x (pop(want, limit)), which may hand over
//                more than want without walking (tail then null).
//     4 POPS     consumer pops want = arg (0..31), no argument byte
//     5 DRAIN    consumer pops everything (want = 2^20), no argument byte
//     6 CHECK    quiescent check: pending() and walk_quiescent() agree with the model
//     7 BURST    producer arg&3 pushes 1 + b%8 batches of 1 + (b/8)%32 objects each
//   Objects carry a value (a sequence number, the same in every form); node
//   memory comes from a per-form arena of kArena nodes and popped nodes go back to
//   it, so nodes are reused (as freed objects are). A push that would exceed the
//   arena is cut short identically in every form.
//
// Deterministic mode (flag bit 0 clear): one thread runs the program; after
// every op each form's popped sequence must equal its model's, the forms must
// agree on counts (exact pops only: a limited pop may legally take different
// amounts in different forms), and at the end, after a drain, every pushed value has been
// popped exactly once in every form (the same multiset everywhere).
//
// Concurrent mode (flag bit 0 set): each producer p is a real thread running
// the PUSH/STAGE/PUBLISH/BURST ops addressed to it, in program order; the main
// thread is the single consumer and runs POP/POPS/DRAIN concurrently; then the
// producers are joined, everything is drained, and conservation must hold
// (every pushed value popped exactly once, nothing else popped). Not
// replay-exact (real races), but every check is order-independent.
//
// A violation prints one line "hz3-fuzz: ORACLE mpsc ..." and aborts. The
// boxes' own fail-fast checks (consumer token, push invariants, slot array)
// print their FAILFAST line and abort.
#include <algorithm>
#include <atomic>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <thread>
#include <utility>
#include <vector>

#include "hz3/mpsc.h"
#include "hz3/mpsc_lockfree.h"
#include "hz3/mpsc_mutex.h"

namespace {

constexpr uint8_t kVersion1 = 0x01;
constexpr uint8_t kVersion2 = 0x02;  // adds POP limits
constexpr uint32_t kArena = 2048;
constexpr uint32_t kMaxProducers = 4;
constexpr uint32_t kDrainAll = 1u << 20;

[[noreturn]] __attribute__((format(printf, 1, 2))) void oracle(const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  fprintf(stderr, "hz3-fuzz: ORACLE mpsc %s\n", buf);
  abort();
}

enum : uint32_t { kFree = 0x0F0F0001, kStaged = 0x0F0F0002, kInBox = 0x0F0F0003, kHeld = 0x0F0F0004 };

// An object: the first word is the box's link, as in hz3.
struct alignas(16) Node {
  void* next;
  uint64_t value;
  std::atomic<uint32_t> state;
  uint32_t owner;  // producer that pushed it
};

using LockFree = hz3::LockFreeMpscList<hz3::LockFreeChecks{true, true}>;
using MList = hz3::MutexList<false>;
using Slots = hz3::MutexSlots<hz3::SlotsChecks{true}>;

constexpr hz3::BoxCtx kXferCtx{0, 0, "xfer"};
constexpr hz3::BoxCtx kCentralCtx{0, 0, "central"};

// ---- one form: its box(es), its arena, its model ---------------------------

enum class Kind { kLockFree, kMutex, kSlots };
const char* kind_name(Kind k) {
  return k == Kind::kLockFree ? "lockfree" : k == Kind::kMutex ? "mutex" : "slots";
}

struct Staged {
  hz3::Batch list;  // built as hz3 builds its walked lists (batch_push_back)
  std::vector<uint64_t> values;  // head first
};

class Form {
 public:
  // Forms live for the whole process (one per kind, reset per input): the
  // arena is set up lazily, so an input pays only for the nodes it uses.
  explicit Form(Kind k) : kind_(k), nodes_(new Node[kArena]) { free_.reserve(kArena); }
  Form(const Form&) = delete;
  Form& operator=(const Form&) = delete;

  // Between inputs: the boxes are empty (checked at the end of every run).
  void reset() {
    bump_ = 0;
    free_.clear();
    for (Staged& s : staged_) s = Staged{};
    in_box_ = 0;
    overflowed_.store(0, std::memory_order_relaxed);
    m_shared_.clear();
    m_priv_.clear();
    m_list_.clear();
    m_slots_.clear();
  }

  const char* name() const { return kind_name(kind_); }
  size_t free_nodes() const { return free_.size() + (kArena - bump_); }
  uint32_t touched() const { return bump_; }

  // Append one object with `value` to producer p's staged batch.
  void stage(uint32_t p, uint64_t value) {
    Node* x;
    if (!free_.empty()) {
      x = free_.back();
      free_.pop_back();
    } else {
      if (bump_ == kArena) oracle("form=%s arena exhausted (harness bug)", name());
      x = fresh(bump_++);
    }
    if (x->state.load(std::memory_order_relaxed) != kFree)
      oracle("form=%s node %p reused while state=%#x", name(), (void*)x, x->state.load());
    x->value = value;
    x->owner = p;
    x->next = nullptr;
    x->state.store(kStaged, std::memory_order_relaxed);
    Staged& s = staged_[p];
    hz3::batch_push_back(s.list, x);  // tail-appending; x->next is already null
    s.values.push_back(value);
  }

  // Push producer p's staged batch, updating the model.
  void publish(uint32_t p) {
    Staged& s = staged_[p];
    if (!s.list.n) return;
    for (Node* x = static_cast<Node*>(s.list.head); x; x = static_cast<Node*>(x->next))
      x->state.store(kInBox, std::memory_order_relaxed);
    push_batch(static_cast<Node*>(s.list.head), static_cast<Node*>(s.list.tail), s.list.n);
    model_push(s.values);
    in_box_ += s.list.n;
    s = Staged{};
  }

  // Pop (want, limit; limit == want: the exact pop), check against the model,
  // release the nodes. Returns the count.
  uint32_t pop(uint32_t want, uint32_t limit, std::vector<uint64_t>& got) {
    got.clear();
    hz3::Batch b = pop_batch(want, limit);
    collect(b, want, limit, got);
    std::vector<uint64_t> expect;
    model_pop(want, limit, expect);
    if (got != expect) {
      oracle("form=%s pop want=%u limit=%u got n=%zu first=%llu, model n=%zu first=%llu", name(), want,
             limit, got.size(), got.empty() ? 0ull : (unsigned long long)got[0], expect.size(),
             expect.empty() ? 0ull : (unsigned long long)expect[0]);
    }
    in_box_ -= static_cast<uint32_t>(got.size());
    return static_cast<uint32_t>(got.size());
  }

  // Quiescent: pending() and walk_quiescent() against the model.
  void check() {
    bool pending = box_pending();
    if (pending != (in_box_ != 0)) oracle("form=%s pending=%d with %u objects in the box", name(), pending, in_box_);
    WalkState w{this, 0};
    walk(&w);
    if (w.count != in_box_) oracle("form=%s walk found %u objects, model has %u", name(), w.count, in_box_);
  }

  uint32_t in_box() const { return in_box_; }

  // ---- raw box access, shared by both modes ----
  void push_batch(Node* head, Node* tail, uint32_t n) {
    switch (kind_) {
      case Kind::kLockFree:
        if (!lf_.push(kCentralCtx, head, tail, n)) oracle("form=lockfree push refused");
        break;
      case Kind::kMutex:
        if (!ml_.push(kCentralCtx, head, tail, n)) oracle("form=mutex push refused");
        break;
      case Kind::kSlots:
        if (!slots_.push(kXferCtx, head, tail, n)) {
          overflowed_.fetch_add(1, std::memory_order_relaxed);
          if (!overflow_.push(kCentralCtx, head, tail, n)) oracle("form=slots overflow push refused");
        }
        break;
    }
  }

  // limit == want: the exact pop (tail always set); else the limited pop.
  hz3::Batch pop_batch(uint32_t want, uint32_t limit) {
    hz3::Batch out;
    const bool exact = limit == want;
    switch (kind_) {
      case Kind::kLockFree:
        exact ? lf_.pop(kCentralCtx, want, out) : lf_.pop(kCentralCtx, want, limit, out);
        break;
      case Kind::kMutex:
        exact ? ml_.pop(kCentralCtx, want, out) : ml_.pop(kCentralCtx, want, limit, out);
        break;
      case Kind::kSlots: {
        exact ? slots_.pop(kXferCtx, want, out) : slots_.pop(kXferCtx, want, limit, out);
        if (out.n < want) {  // then to the overflow list, as shard refill goes to central
          hz3::Batch more;
          if (exact) {
            overflow_.pop(kCentralCtx, want - out.n, more);
            hz3::batch_append(out, more);
          } else {
            overflow_.pop(kCentralCtx, want - out.n, limit - out.n, more);
            hz3::batch_join(out, more);
          }
        }
        break;
      }
    }
    return out;
  }

  bool box_pending() const {
    switch (kind_) {
      case Kind::kLockFree: return lf_.pending();
      case Kind::kMutex: return ml_.pending();
      case Kind::kSlots: return slots_.pending() || overflow_.pending();
    }
    return false;
  }

  // Validate a popped batch (head..tail, n nodes, tail->next == null, every
  // node ours and in the box exactly once), record the values and free the
  // nodes. Only a limited pop may leave the tail null (not walked).
  void collect(const hz3::Batch& b, uint32_t want, uint32_t limit, std::vector<uint64_t>& got) {
    if (b.n > limit) oracle("form=%s pop returned %u > limit %u (want %u)", name(), b.n, limit, want);
    const bool tail_ok = b.n == 0 ? b.tail == nullptr : (b.tail != nullptr || limit != want);
    if ((b.n == 0) != (b.head == nullptr) || !tail_ok)
      oracle("form=%s batch head=%p tail=%p n=%u want=%u limit=%u", name(), b.head, b.tail, b.n, want, limit);
    Node* x = static_cast<Node*>(b.head);
    Node* last = nullptr;
    for (uint32_t i = 0; i < b.n; ++i) {
      if (!x) oracle("form=%s batch shorter than n=%u (ends at %u)", name(), b.n, i);
      if (!ours(x)) oracle("form=%s foreign node %p in batch", name(), (void*)x);
      uint32_t st = x->state.load(std::memory_order_acquire);
      if (st != kInBox) oracle("form=%s node %p value=%llu popped in state %#x (duplicate or lost link)", name(), (void*)x, (unsigned long long)x->value, st);
      x->state.store(kHeld, std::memory_order_relaxed);
      got.push_back(x->value);
      last = x;
      x = static_cast<Node*>(x->next);
    }
    if (b.n && b.tail && last != b.tail) oracle("form=%s batch tail %p is not node n=%u (%p)", name(), b.tail, b.n, (void*)last);
    if (b.n && last->next != nullptr) oracle("form=%s batch tail->next=%p, not null", name(), last->next);
    for (Node* y = static_cast<Node*>(b.head); y;) {
      Node* nx = static_cast<Node*>(y->next);
      y->next = nullptr;
      y->state.store(kFree, std::memory_order_relaxed);
      free_.push_back(y);
      y = nx;
    }
  }

  bool ours(const Node* x) const {
    return x >= nodes_ && x < nodes_ + kArena &&
           (reinterpret_cast<uintptr_t>(x) - reinterpret_cast<uintptr_t>(nodes_)) % sizeof(Node) == 0;
  }

  Node* node(uint32_t i) { return &nodes_[i]; }
  // Node i, first use in this input.
  Node* fresh(uint32_t i) {
    Node* x = &nodes_[i];
    x->next = nullptr;
    x->value = 0;
    x->owner = 0;
    x->state.store(kFree, std::memory_order_relaxed);
    return x;
  }
  uint32_t overflowed() const { return overflowed_.load(std::memory_order_relaxed); }

 private:
  struct WalkState {
    Form* f;
    uint32_t count;
  };
  static bool visit(void* obj, void* arg) {
    auto* w = static_cast<WalkState*>(arg);
    auto* x = static_cast<Node*>(obj);
    if (!w->f->ours(x) || x->state.load(std::memory_order_relaxed) != kInBox)
      oracle("form=%s walk met node %p not in the box", w->f->name(), obj);
    if (++w->count > kArena) oracle("form=%s walk longer than the arena (cycle)", w->f->name());
    return true;
  }
  void walk(WalkState* w) {
    switch (kind_) {
      case Kind::kLockFree: lf_.walk_quiescent(visit, w); break;
      case Kind::kMutex: ml_.walk_quiescent(visit, w); break;
      case Kind::kSlots:
        slots_.walk_quiescent(visit, w);
        overflow_.walk_quiescent(visit, w);
        break;
    }
  }

  // ---- the reference models (front = head = first popped) ----
  void model_push(const std::vector<uint64_t>& v) {
    switch (kind_) {
      case Kind::kLockFree:  // CAS-publish: the batch goes in front of the shared list
        m_shared_.insert(m_shared_.begin(), v.begin(), v.end());
        break;
      case Kind::kMutex:
        m_list_.insert(m_list_.begin(), v.begin(), v.end());
        break;
      case Kind::kSlots:
        if (m_slots_.size() < Slots::kCapacity) m_slots_.emplace_back(v.begin(), v.end());
        else m_list_.insert(m_list_.begin(), v.begin(), v.end());  // overflow
        break;
    }
  }
  static void take(std::deque<uint64_t>& from, uint32_t k, std::vector<uint64_t>& out) {
    while (k-- && !from.empty()) {
      out.push_back(from.front());
      from.pop_front();
    }
  }
  // Each form's documented pop, exact (limit == want) or limited.
  void model_pop(uint32_t want, uint32_t limit, std::vector<uint64_t>& out) {
    if (want == 0) return;
    auto size = [&] { return static_cast<uint32_t>(out.size()); };
    switch (kind_) {
      case Kind::kLockFree:
        take(m_priv_, want, out);
        if (size() < want && !m_shared_.empty()) {  // exchange-drain
          // The head word's count is exact here (the arena is far below the
          // 16-bit saturation), so a drain that fits the limit goes whole.
          if (size() + m_shared_.size() <= limit) {
            take(m_shared_, kDrainAll, out);
          } else {
            m_priv_.swap(m_shared_);
            m_shared_.clear();
            take(m_priv_, want - size(), out);
          }
        }
        break;
      case Kind::kMutex:
        take(m_list_, m_list_.size() <= limit ? kDrainAll : want, out);
        break;
      case Kind::kSlots:
        // Whole slots while short of want or while they fit the limit.
        while (!m_slots_.empty() && (size() < want || size() + m_slots_.back().size() <= limit)) {
          take(m_slots_.back(), size() < want ? want - size() : kDrainAll, out);
          if (m_slots_.back().empty()) m_slots_.pop_back();
        }
        if (size() < want)  // the overflow list (a MutexList), with what is left of the limit
          take(m_list_, m_list_.size() <= limit - size() ? kDrainAll : want - size(), out);
        break;
    }
  }

  Kind kind_;
  Node* nodes_;
  std::vector<Node*> free_;  // released nodes; fresh ones come from bump_
  uint32_t bump_ = 0;
  Staged staged_[kMaxProducers];
  uint32_t in_box_ = 0;
  std::atomic<uint32_t> overflowed_{0};

  LockFree lf_;
  MList ml_;
  Slots slots_;
  MList overflow_;

  std::deque<uint64_t> m_shared_, m_priv_, m_list_;
  std::deque<std::deque<uint64_t>> m_slots_;
};

// ---- the program -------------------------------------------------------------

struct Op {
  uint8_t kind;
  uint8_t producer;
  uint32_t a;  // objects (PUSH/STAGE), want (POP*), batches (BURST)
  uint32_t b;  // objects per batch (BURST), limit (POP*; == want: exact pop)
};

std::vector<Op> parse(const uint8_t* d, size_t n, size_t start, uint8_t version) {
  std::vector<Op> ops;
  size_t i = start;
  while (i < n) {
    uint8_t o = d[i++];
    Op op{static_cast<uint8_t>(o & 7), static_cast<uint8_t>((o >> 3) & 3), 0, 0};
    bool has_arg = op.kind == 0 || op.kind == 1 || op.kind == 3 || op.kind == 7;
    uint8_t b = 0;
    if (has_arg) {
      if (i >= n) break;
      b = d[i++];
    }
    switch (op.kind) {
      case 0:
      case 1: op.a = 1 + b % 64; break;
      case 3:
        op.a = b;
        op.b = b + (version >= kVersion2 ? 8u * (o >> 3) : 0u);
        break;
      case 4: op.a = op.b = o >> 3; break;
      case 5: op.a = op.b = kDrainAll; break;
      case 7: op.a = 1 + b % 8; op.b = 1 + (b / 8) % 32; break;
      default: break;
    }
    ops.push_back(op);
  }
  return ops;
}

// One form of each kind for the whole process (never destroyed).
Form* g_forms[3];
Form* form_of(Kind k) {
  int i = static_cast<int>(k);
  if (!g_forms[i]) g_forms[i] = new Form(k);
  g_forms[i]->reset();
  return g_forms[i];
}

void run_deterministic(const std::vector<Op>& ops, uint32_t producers) {
  Form& lf = *form_of(Kind::kLockFree);
  Form& ml = *form_of(Kind::kMutex);
  Form& sl = *form_of(Kind::kSlots);
  Form* forms[3] = {&lf, &ml, &sl};
  uint64_t next_value = 1;
  uint32_t staged[kMaxProducers] = {};
  std::vector<uint64_t> got[3];

  auto stage_n = [&](uint32_t p, uint32_t k) {
    // Nodes not in any box or staged batch are free; after limited pops the
    // forms may hold different amounts, so stage what every form can.
    uint32_t avail = static_cast<uint32_t>(
        std::min({lf.free_nodes(), ml.free_nodes(), sl.free_nodes()}));
    if (k > avail) k = avail;
    for (uint32_t i = 0; i < k; ++i, ++next_value)
      for (Form* f : forms) f->stage(p, next_value);
    staged[p] += k;
  };
  auto publish = [&](uint32_t p) {
    for (Form* f : forms) f->publish(p);
    staged[p] = 0;
  };
  // After a limited pop the forms may hold different amounts (each still
  // matches its own model); exact agreement resumes once their contents match.
  bool diverged = false;
  auto pop = [&](uint32_t want, uint32_t limit) {
    uint32_t n[3];
    for (int i = 0; i < 3; ++i) n[i] = forms[i]->pop(want, limit, got[i]);
    if (!diverged && limit == want && (n[0] != n[1] || n[0] != n[2]))
      oracle("forms disagree on pop want=%u: lockfree=%u mutex=%u slots=%u", want, n[0], n[1], n[2]);
    diverged = lf.in_box() != ml.in_box() || lf.in_box() != sl.in_box();
  };

  for (const Op& op : ops) {
    uint32_t p = op.producer % producers;
    switch (op.kind) {
      case 0:
        stage_n(p, op.a);
        publish(p);
        break;
      case 1: stage_n(p, op.a); break;
      case 2: publish(p); break;
      case 3:
      case 4:
      case 5: pop(op.a, op.b); break;
      case 6:
        for (Form* f : forms) f->check();
        if (!diverged && (lf.in_box() != ml.in_box() || lf.in_box() != sl.in_box()))
          oracle("forms disagree on contents: lockfree=%u mutex=%u slots=%u", lf.in_box(), ml.in_box(), sl.in_box());
        break;
      case 7:
        for (uint32_t i = 0; i < op.a; ++i) {
          publish(p);  // whatever was staged goes first, as its own batch
          stage_n(p, op.b);
          publish(p);
        }
        break;
    }
  }
  // Publish what is still staged, drain, and check conservation: every value
  // 1..next_value-1 popped exactly once, in every form.
  for (uint32_t p = 0; p < producers; ++p) publish(p);
  // Every pop matched the exact model, so each value came out once; what is
  // left to show is "box empty and every node back in the arena".
  pop(kDrainAll, kDrainAll);
  for (int i = 0; i < 3; ++i) {
    Form* f = forms[i];
    f->check();
    if (f->in_box() != 0) oracle("form=%s %u objects left after drain", f->name(), f->in_box());
    if (f->free_nodes() != kArena) oracle("form=%s %zu of %u nodes back after drain (lost)", f->name(), f->free_nodes(), kArena);
    for (uint32_t k = 0; k < f->touched(); ++k)
      if (f->node(k)->state.load(std::memory_order_relaxed) != kFree) oracle("form=%s node %u not free after drain", f->name(), k);
  }
}

// Values popped over the whole run, one counter per value, checked at the end.
struct Tally {
  std::vector<uint8_t> count;
  void add(uint64_t v, const char* form) {
    if (v == 0 || v >= count.size()) oracle("form=%s popped unknown value %llu", form, (unsigned long long)v);
    if (++count[v] > 1) oracle("form=%s value %llu popped twice", form, (unsigned long long)v);
  }
};

void run_concurrent(const std::vector<Op>& ops, uint32_t producers) {
  // Per-producer programs and the node range each producer owns (no reuse:
  // nodes stay with the consumer once popped).
  std::vector<std::vector<uint32_t>> batches(producers);  // batch sizes in push order
  std::vector<std::pair<uint32_t, uint32_t>> pops;  // (want, limit)
  uint32_t per = kArena / producers;
  std::vector<uint32_t> used(producers, 0), staged(producers, 0);
  auto stage = [&](uint32_t p, uint32_t k) {
    if (k > per - used[p] - staged[p]) k = per - used[p] - staged[p];
    staged[p] += k;
  };
  auto publish = [&](uint32_t p) {
    if (staged[p]) batches[p].push_back(staged[p]);
    used[p] += staged[p];
    staged[p] = 0;
  };
  for (const Op& op : ops) {
    uint32_t p = op.producer % producers;
    switch (op.kind) {
      case 0: stage(p, op.a); publish(p); break;
      case 1: stage(p, op.a); break;
      case 2: publish(p); break;
      case 3: case 4: case 5: pops.push_back({op.a, op.b}); break;
      case 7:
        for (uint32_t i = 0; i < op.a; ++i) { publish(p); stage(p, op.b); publish(p); }
        break;
      default: break;
    }
  }
  for (uint32_t p = 0; p < producers; ++p) publish(p);
  uint32_t total = 0;
  for (uint32_t p = 0; p < producers; ++p) total += used[p];

  for (Kind kind : {Kind::kLockFree, Kind::kMutex, Kind::kSlots}) {
    Form& f = *form_of(kind);
    Tally tally;
    tally.count.assign(kArena + 1, 0);
    std::atomic<uint32_t> go{0};
    std::vector<std::thread> threads;
    for (uint32_t p = 0; p < producers; ++p) {
      threads.emplace_back([&, p] {
        go.fetch_add(1, std::memory_order_acq_rel);
        while (go.load(std::memory_order_acquire) < producers + 1) std::this_thread::yield();
        uint32_t idx = p * per;
        for (uint32_t n : batches[p]) {
          Node* head = f.node(idx);
          for (uint32_t i = 0; i < n; ++i) {
            Node* x = f.node(idx + i);
            x->value = idx + i + 1;  // value = node index + 1: unique
            x->owner = p;
            x->next = i + 1 < n ? f.node(idx + i + 1) : nullptr;
            x->state.store(kInBox, std::memory_order_relaxed);
          }
          f.push_batch(head, f.node(idx + n - 1), n);
          idx += n;
        }
      });
    }
    go.fetch_add(1, std::memory_order_acq_rel);
    while (go.load(std::memory_order_acquire) < producers + 1) std::this_thread::yield();
    uint32_t popped = 0;
    auto consume = [&](uint32_t want, uint32_t limit) {
      hz3::Batch b = f.pop_batch(want, limit);
      if (b.n > limit) oracle("form=%s concurrent pop returned %u > limit %u", f.name(), b.n, limit);
      if (b.n && !b.tail && limit == want) oracle("form=%s concurrent exact pop without tail", f.name());
      Node* x = static_cast<Node*>(b.head);
      Node* last = nullptr;
      for (uint32_t i = 0; i < b.n; ++i) {
        if (!x || !f.ours(x)) oracle("form=%s concurrent batch broken at %u of %u (%p)", f.name(), i, b.n, (void*)x);
        if (x->state.load(std::memory_order_acquire) != kInBox)
          oracle("form=%s concurrent pop of node %p in state %#x", f.name(), (void*)x, x->state.load());
        x->state.store(kHeld, std::memory_order_relaxed);
        tally.add(x->value, f.name());
        last = x;
        x = static_cast<Node*>(x->next);
      }
      if (b.n && ((b.tail && last != b.tail) || last->next != nullptr))
        oracle("form=%s concurrent batch tail mismatch", f.name());
      popped += b.n;
    };
    for (auto [want, limit] : pops) consume(want, limit);
    for (std::thread& t : threads) t.join();
    consume(kDrainAll, kDrainAll);
    if (f.box_pending()) oracle("form=%s pending after the final drain", f.name());
    if (popped != total) oracle("form=%s conservation: pushed %u popped %u", f.name(), total, popped);
    for (uint32_t p = 0; p < producers; ++p)
      for (uint32_t k = p * per; k < p * per + used[p]; ++k)
        if (tally.count[k + 1] != 1) oracle("form=%s value %u popped %u times", f.name(), k + 1, tally.count[k + 1]);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2 || (data[0] != kVersion1 && data[0] != kVersion2)) return 0;
  uint8_t flags = data[1];
  uint32_t producers = 1 + ((flags >> 1) & 3);
  std::vector<Op> ops = parse(data, size, 2, data[0]);
  if (flags & 1) run_concurrent(ops, producers);
  else run_deterministic(ops, producers);
  return 0;
}
