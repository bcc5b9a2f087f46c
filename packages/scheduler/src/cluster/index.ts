/** placeholder, replaced by the cluster module */
export {}
