"""100,000 points on the page: asked for packed, stepped, and drawn in their clusters' colours."""

import numpy as np
from scipy.spatial import cKDTree

from app.web.schemas import unpack
from browsing import COLOURED, POINT_COUNT, distinct, one_colour_each

N = 100_000
HUNDRED_THOUSAND = (f"?dataset=blobs&n_samples={N}&centers=4&cluster_std=0.6&random_state=0"
                    "&k=4&init=kmeans%2B%2B&seed=0")
EVERY = 50  # points read on screen: one in so many


def test_a_100000_point_session_steps_and_the_screen_shows_the_new_labels(stepper):
    stepper.open(HUNDRED_THOUSAND)
    stepper.click("Init")
    state = stepper.click("Assign")
    labels = np.asarray(state["labels"])
    assert labels.shape == (N,)
    stepper.page.wait_for_function(COLOURED)
    assert stepper.page.evaluate(POINT_COUNT) == N
    # Every request for a state asked for it packed: the points came once, as bytes.
    asked = [url for url in stepper.requests if "/api/sessions" in url]
    assert asked and all("packed=1" in url for url in asked)

    screen = stepper.screen(every=EVERY)

    # Too many points to stand alone: a point is read at its centre where every marker
    # that could cover it (within a marker's width) is of its own cluster. Where the
    # others are drawn: the sampled places give Plotly's (linear) axes.
    points = unpack(stepper.api(f"/sessions/{stepper.session_id()}?packed=1")["points"])
    sampled = points[::EVERY]
    drawn = np.column_stack([np.polyval(np.polyfit(sampled[:, axis], screen.points[:, axis], 1),
                                        points[:, axis]) for axis in (0, 1)])
    near = cKDTree(drawn).query_ball_point(screen.points, r=screen.ALONE)
    clear = cKDTree(screen.centroids).query(screen.points)[0] > 16
    by_cluster = {j: [] for j in range(state["k"])}
    for sample, (others, place) in enumerate(zip(near, screen.points)):
        own = labels[sample * EVERY]
        if clear[sample] and screen.inside(*place) and (labels[others] == own).all():
            by_cluster[int(own)].append(screen.pixel(*place))
    colours = one_colour_each(by_cluster)
    assert distinct(colours.values())
    centroids = screen.centroid_colours()
    assert all(max(abs(a - b) for a, b in zip(colours[j], centroids[j])) <= 24 for j in colours)


# Where the plot's vertical gridlines are drawn, in pixels of the plot's box.
GRIDLINES = """() => {
    const { xaxis } = document.getElementById('plot')._fullLayout;
    return xaxis._vals.map((tick) => xaxis._offset + xaxis.l2p(tick.x));
}"""


def test_the_points_of_a_large_data_set_are_drawn_over_the_gridlines_not_under_them(stepper):
    # From RASTER_FROM points the page stamps the points into a canvas of its own: a
    # gridline must not cross a blob of points, as it does not cross Plotly's own markers.
    # Read along each vertical gridline, a place every point near which (a marker's width)
    # is of one cluster shows that cluster's colour, on the gridline and beside it.
    stepper.open(HUNDRED_THOUSAND)
    stepper.click("Init")
    state = stepper.click("Assign")
    labels = np.asarray(state["labels"])
    stepper.page.wait_for_function(COLOURED)
    screen = stepper.screen()  # every point's place, by Plotly's own axes
    centroids = screen.centroid_colours()
    tree = cKDTree(screen.points)
    left, top, width, height = screen.area
    read = []
    for x in stepper.page.evaluate(GRIDLINES):
        for y in np.arange(top + 6, top + height - 6, 1.0):
            for column in (np.floor(x) - 1, np.floor(x), np.floor(x) + 1):
                # A marker covers its pixel and the eight around it: centred within half a
                # pixel of this one, it covers it even if the screenshot is a pixel off.
                place = (column, y)
                near = tree.query_ball_point(place, r=6)
                if (not near or len(set(labels[near])) != 1 or tree.query(place)[0] > 0.5
                        or not screen.inside(*place)
                        or cKDTree(screen.centroids).query(place)[0] < 16):
                    continue  # not surely under a marker of one cluster
                read.append((column, y, centroids[int(labels[near[0]])], screen.pixel(column, y)))
    assert len(read) > 40, "too few places on the gridlines inside a blob to judge by"
    wrong = [(column, y, pixel) for column, y, own, pixel in read
             if max(abs(a - b) for a, b in zip(pixel, own)) > 24]
    assert not wrong, f"{len(wrong)} of {len(read)} pixels on the gridlines are not their points' colour: {wrong[:5]}"
