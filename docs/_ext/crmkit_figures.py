"""Figures of the documentation, drawn at build time from crmkit's bundled data.

``docs/_generated/landing.png`` (the landing page's figure) is drawn when the build
starts, so it always shows what the current code computes. Run this file as a script to
draw it without building the documentation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parents[1] / "_generated"


def landing_figure(path: Path) -> None:
    """CDNOW: the BG/NBD model's tracking of repeat purchases, and revenue concentration."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import crmkit as ck
    from crmkit import plotting

    tx = ck.datasets.load_cdnow_transactions()
    cal = ck.rfm_summary(
        tx,
        customer_id_col="customer_id",
        datetime_col="date",
        amount_col="dollar_value",
        observation_end=ck.datasets.CDNOW_CALIBRATION_END,
        period="D",
        time_unit="W",
        non_positive="keep",
        after_observation_end="exclude",
    )
    fit = ck.clv.BetaGeo.fit(cal, time_unit="W")
    track = ck.clv.tracking_series(fit.model, tx, time_unit="W", datetime_col="date")
    revenue = tx.groupby("customer_id")["dollar_value"].sum()
    conc = ck.pareto.concentration(revenue.to_numpy())

    fig, (left, right) = plt.subplots(1, 2, figsize=(11.0, 4.0), width_ratios=(1.6, 1.0))
    weeks = track.set_index("period_end")
    weeks.index.name = "week ending"
    plotting.tracking_plot(
        weeks,
        ax=left,
        actual="actual_cumulative",
        expected="expected_cumulative",
        calibration_end=ck.datasets.CDNOW_CALIBRATION_END,
    )
    left.set_title("BG/NBD fitted on 39 weeks of CDNOW, tracked for 39 more")
    left.set_ylabel("cumulative repeat purchases")
    plotting.lorenz_curve(conc, ax=right)
    right.set_title(f"Top 20% of customers bring {conc.top_share(0.2):.0%} of revenue")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _on_builder_inited(app: Any) -> None:
    landing_figure(OUT / "landing.png")


def setup(app: Any) -> dict[str, Any]:
    app.connect("builder-inited", _on_builder_inited)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":
    landing_figure(OUT / "landing.png")
    print("wrote", OUT / "landing.png")
