package io.fleetshard.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetshard.http.ApiProblem;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;

class OrderByTest {

    @Test
    void parsesDirectionsAndNullOrdering() {
        List<OrderBy.Term> terms = OrderBy.parse(" updated_at DESC ,vehicle_id, \"Speed Kph\" asc nulls first ");
        assertThat(terms).containsExactly(
                new OrderBy.Term("updated_at", false, true, true),
                new OrderBy.Term("vehicle_id", false, false, false),
                new OrderBy.Term("Speed Kph", true, false, true));
    }

    @Test
    void sortsByTermsWithNullsLargestByDefault() {
        Comparator<Object[]> c = OrderBy.comparator(OrderBy.parse("a desc, b"), List.of("a", "b"));
        List<Object[]> rows = new ArrayList<>(List.of(
                new Object[] {1L, "y"}, new Object[] {null, "z"}, new Object[] {2L, "x"}, new Object[] {1L, "a"}));
        rows.sort(c);
        assertThat(rows).extracting(r -> r[0] + "/" + r[1]).containsExactly("null/z", "2/x", "1/a", "1/y");
        Comparator<Object[]> asc = OrderBy.comparator(OrderBy.parse("a"), List.of("a"));
        rows.sort(asc);
        assertThat(rows).extracting(r -> r[0]).containsExactly(1L, 1L, 2L, null);
    }

    @Test
    void comparesNumbersAcrossTypes() {
        assertThat(OrderBy.compareValues(2L, new BigDecimal("1.5"))).isPositive();
        assertThat(OrderBy.compareValues(1.0, 2L)).isNegative();
        assertThat(OrderBy.compareValues(Double.NaN, 1e300)).isPositive();
    }

    @Test
    void matchesUnquotedNamesIgnoringCaseButRejectsUnknownOnes() {
        assertThat(OrderBy.comparator(OrderBy.parse("VIN"), List.of("vin")).compare(new Object[] {"a"},
                new Object[] {"b"})).isNegative();
        assertThatThrownBy(() -> OrderBy.comparator(OrderBy.parse("speed"), List.of("vin", "status")))
                .isInstanceOfSatisfying(ApiProblem.class, p -> {
                    assertThat(p.status()).isEqualTo(400);
                    assertThat(p.detail()).isEqualTo("orderBy column 'speed' is not a column of the result [vin, status]");
                });
        assertThatThrownBy(() -> OrderBy.comparator(OrderBy.parse("\"VIN\""), List.of("vin")))
                .hasMessageContaining("not a column");
    }

    @Test
    void rejectsSyntaxErrors() {
        for (String bad : new String[] {"", "a b", "a asc desc", "a nulls", "1a", "a; drop", "\"a"}) {
            assertThatThrownBy(() -> OrderBy.parse(bad)).as(bad).isInstanceOf(ApiProblem.class)
                    .hasMessageContaining("orderBy");
        }
    }
}
