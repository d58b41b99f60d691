package io.fleetshard.router;

import io.fleetshard.http.ApiProblem;

/**
 * One item of a {@code POST /v1/query/batch} body: a valid query, or the 400 that its own fields earned (ADR 0031).
 * Exactly one of the two is set.
 */
record BatchItem(QueryRequest request, ApiProblem problem) {
    BatchItem {
        if ((request == null) == (problem == null)) {
            throw new IllegalArgumentException("a batch item is a request or a problem, not both or neither");
        }
    }

    static BatchItem of(QueryRequest request) {
        return new BatchItem(request, null);
    }

    static BatchItem failed(ApiProblem problem) {
        return new BatchItem(null, problem);
    }
}
