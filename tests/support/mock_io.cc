// The mocks are header-only; this file gives the support library a home for
// the out-of-line parts GoogleMock generates, so every test links one copy.
#include "support/mock_io.h"
