"""Report-ready charts; matplotlib is imported only when a chart is drawn."""
