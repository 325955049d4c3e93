// alloc_ops_fuzz: random cross-thread malloc/calloc/realloc/memalign/free
// programs on up to 8 logical threads (real pthreads), run deterministically
// (one thread at a time, the input says which runs next) against a shadow
// model oracle. Op format: fuzz/ops.h, fuzz/README.md (version 1). BIND is a
// no-op here and the free-running flag is ignored (see collision_fuzz).
#include <cstddef>
#include <cstdint>

#include "ops.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hz3fuzz::Config cfg;
  hz3fuzz::run_input(data, size, cfg);
  return 0;
}
