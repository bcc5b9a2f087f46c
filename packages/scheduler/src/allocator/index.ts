/** placeholder, replaced by the allocator module */
export {}
